/** Checksums (computed while streaming, compared with the server's or a sidecar's) and kept modification times. */
export {
	CHECKSUM_ALGORITHMS,
	cannotComputeChecksums,
	HashingSink,
	hexValue,
	StreamHash,
	strongestOf,
	verifiedOrFailure,
	type VerifiedChecksum,
} from './algorithms';
export {
	expectedChecksum,
	HashingTransform,
	planDownloadChecksum,
	uploadChecksumAlgorithm,
	type ChecksumPlan,
} from './checksumPlan';
export { cannotSetModifiedAt, ftpTimeOf, modifiedAtOf } from './modifiedTimes';
export { parseSidecar, readSidecar, SIDECAR_MAX_BYTES, sidecarPathOf } from './sidecar';
