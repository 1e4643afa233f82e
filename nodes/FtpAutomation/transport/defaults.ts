/**
 * Every default and limit the user can meet, in one table: the node's fields show these defaults and the engine
 * falls back to them, so a saved workflow without a value behaves as the editor said it would.
 */
export const DEFAULTS = {
	/** How long connecting, each reply, and a transfer standing still may take (the credential's field). */
	connectionTimeoutSeconds: 30,
	/** Further attempts after a transient failure (Download, Upload, List, the trigger). */
	retries: 2,
	/** The wait before the first retry; every further wait doubles. */
	retryDelayMs: 500,
	/** Connections per execution, and the most a user may ask for: more rarely helps and many servers refuse them. */
	concurrency: 1,
	maxConcurrency: 16,
	/** Upload. */
	ifExists: 'overwrite',
	atomicUpload: true,
	uploadCreatesDirectories: true,
	/** Rename or Move. */
	renameCreatesDirectories: false,
	/** Create Folder. */
	createFolderRecursive: true,
	/** The trigger: the oldest files first, the rest with the next polls. */
	maxFilesPerPoll: 100,
	/** What a listing or recursive walk may cost before it fails with an explained error. */
	maxEntriesPerFolder: 100_000,
	maxFolders: 10_000,
	walkTimeLimitSeconds: 300,
	/** Deeper than any real folder tree; reached only through folder links a server shows as plain folders. */
	maxWalkDepth: 50,
	/**
	 * How much a transfer may buffer between the network and n8n's store. n8n writes a stream to disk chunk by
	 * chunk; with Node's default 16 KiB a TLS download is written in as many small writes, at about half the speed
	 * (measured: 1 GiB over FTPS, 159 MB/s with 16 KiB, 372 MB/s with 1 MiB). At most this much per running transfer.
	 */
	transferBufferBytes: 1024 * 1024,
	/** Selection (List and the trigger), as the options show them when added: seconds, bytes, the marker's name. */
	selectionMinAgeSeconds: 60,
	selectionMaxAgeSeconds: 86_400,
	selectionMinSizeBytes: 1,
	selectionMaxSizeBytes: 104_857_600,
	selectionDoneFile: '{name}.done',
	selectionHideDoneFiles: true,
	/** List: everything unless Return All is turned off, then this many. */
	listReturnAll: true,
	listLimit: 50,
	/** How long a server may take to hash one file for Verify Checksum (it reads the whole file). */
	checksumTimeLimitSeconds: 600,
} as const;
