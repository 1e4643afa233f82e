export { ConnectionLog } from './connectionLog';
export {
	explainFailure,
	FtpFailure,
	STEP_LABELS,
	type FailureContext,
	type FtpStep,
} from './errors';
export { FtpSession, type ListOptions, type SessionOptions } from './FtpSession';
export { globFilter, toListEntry, type IncludeEntries, type ListEntry } from './listing';
export { checkPath } from './paths';
export {
	secretsOf,
	toConnectionSettings,
	type ConnectionSettings,
	type Security,
} from './settings';
