export { ConnectionLog, MAX_ERROR_MESSAGE_CHARS, shortened } from './connectionLog';
export {
	explainFailure,
	FtpFailure,
	STEP_LABELS,
	type FailureContext,
	type FtpStep,
} from './errors';
export { walkFolders, type ListOptions, type UseSession } from './folderWalk';
export {
	FtpSession,
	TRANSFER_BUFFER_BYTES,
	type IfExists,
	type SessionOptions,
	type UploadOptions,
	type UploadResult,
} from './FtpSession';
export { SessionPool } from './sessionPool';
export { globFilter, toListEntry, type IncludeEntries, type ListEntry } from './listing';
export { hasControlCharacter } from './listingText';
export { checkPath } from './paths';
export { DEFAULT_WALK_LIMITS, MAX_WALK_DEPTH, type WalkLimits } from './walkLimits';
export {
	secretsOf,
	toConnectionSettings,
	type ConnectionSettings,
	type Security,
} from './settings';
