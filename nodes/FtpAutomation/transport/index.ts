/**
 * The transport: everything that speaks to a server, below the node layer. The engine (sessions, the pool, retries,
 * the verified download, the safe upload, the folder walk) is protocol-neutral and speaks to a protocol only through
 * the contract in contract.ts; ftp/ (FTP/FTPS) and sftp/ (SFTP) are its implementations.
 */
export { ConnectionLog, MAX_ERROR_MESSAGE_CHARS, shortened } from './connectionLog';
export type {
	ChecksumAlgorithm,
	RemoteConnection,
	RemoteEntry,
	ServerCapabilities,
	ServerFacts,
} from './contract';
export { DEFAULTS } from './defaults';
export { hasControlCharacter } from './entryNames';
export {
	modifiedAtOf,
	planDownloadChecksum,
	type ChecksumPlan,
	type VerifiedChecksum,
} from './integrity';
export {
	RemoteFailure,
	STEP_LABELS,
	type FailureContext,
	type FailureStep,
	type FixInNode,
} from './failures';
export { explainFailure, toConnectionSettings, type Security } from './ftp';
export { explainSftpFailure, toSftpSettings, type SftpSettings } from './sftp';
export { globFilter, type IncludeEntries, type ListEntry } from './listing';
export type { ConnectionSettings } from './protocols';
export {
	isFolderMarker,
	sortEntries,
	type SelectionRules,
	type SortBy,
	type SortDirection,
} from './selection';
export {
	createFolder,
	deleteFile,
	deleteFolder,
	downloadFile,
	movePath,
	uploadFile,
} from './remoteFiles';
export type { IfExists, UploadOptions, UploadResult } from './safeUpload';
export { isTemporaryName } from './safeUpload';
export { RemoteSession, type SessionOptions } from './session';
export { SessionPool } from './sessionPool';
export { TRANSFER_BUFFER_BYTES } from './streams';
export { walkFolders, type ListOptions, type UseSession } from './walk/folderWalk';
export { walkSelected, type SelectedWalk } from './walk/selectedWalk';
export { DEFAULT_WALK_LIMITS, MAX_WALK_DEPTH, type WalkLimits } from './walk/walkLimits';
