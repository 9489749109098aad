/**
 * The catalogue of error codes: the one list that the API's `error_code`, the CLI's `Error [CODE]`
 * line and docs/errors.md all read. Codes are a public contract: add new ones, never rename one.
 * `FactflowError` only accepts an `ErrorCode`, so a code missing here does not compile.
 */

/**
 * Who must act, which decides the HTTP status and the exit code. It mirrors the `FactflowError`
 * subclass thrown with the code: `user` UserInputError, `not_found` NotFoundError, `conflict`
 * ConflictError, `limit` LimitExceededError, `external` ExternalError, `unavailable`
 * UnavailableError, `cancelled` CancelledError, `bug` InternalError (or a bare FactflowError).
 */
export type ErrorCodeKind = 'user' | 'not_found' | 'conflict' | 'limit' | 'external' | 'unavailable' | 'cancelled' | 'bug'

/** HTTP status and CLI exit code of each kind, as the `FactflowError` subclasses answer them. */
export const ERROR_KIND_OUTCOMES: Readonly<Record<ErrorCodeKind, {httpStatus: number; exitCode: number}>> = {
  user: {httpStatus: 400, exitCode: 2},
  not_found: {httpStatus: 404, exitCode: 2},
  conflict: {httpStatus: 409, exitCode: 2},
  limit: {httpStatus: 429, exitCode: 1},
  external: {httpStatus: 502, exitCode: 1},
  unavailable: {httpStatus: 503, exitCode: 4},
  cancelled: {httpStatus: 409, exitCode: 130},
  bug: {httpStatus: 500, exitCode: 1},
}

export interface ErrorCodeEntry {
  /** What the code means for a user, in one line. */
  readonly summary: string
  /** The next step when the throw site gives none. */
  readonly hint?: string
  readonly kind: ErrorCodeKind
  /**
   * Set for codes the server writes itself rather than through a `FactflowError` (no CLI exit
   * code): the HTTP status it answers with.
   */
  readonly apiStatus?: string
}

const ENTRIES = {
  // Pipelines, runs and executions
  PIPELINE_NOT_FOUND: {kind: 'not_found', summary: 'The pipeline file could not be read.', hint: 'Check the path; `factflow config validate <file>` reads the same file.'},
  PIPELINE_INVALID: {kind: 'user', summary: 'The pipeline file does not validate.', hint: '`factflow config validate <file>` prints the full report.'},
  PIPELINE_EMPTY: {kind: 'bug', summary: 'A pipeline with no routes reached the engine, which validation should have refused.'},
  ADAPTER_NOT_IMPLEMENTED: {kind: 'user', summary: 'The pipeline uses an adapter type that factflow does not implement yet.', hint: '`factflow adapters list` shows the adapters this version has.'},
  ADAPTER_UNKNOWN: {kind: 'user', summary: 'No adapter of this type is registered.', hint: '`factflow adapters list` shows the adapter types.'},
  ADAPTER_NOT_FOUND: {kind: 'not_found', summary: 'The API was asked about an adapter type that does not exist.', hint: 'GET /api/v1/adapters lists the adapter types.'},
  FLAG_INVALID: {kind: 'user', summary: 'A command-line flag has a value that is not allowed.', hint: 'Run the command with --help to see the accepted values.'},
  DURATION_INVALID: {kind: 'user', summary: 'A duration flag is not a duration.', hint: 'Use e.g. 90s, 5m, 1h30m, or a number of seconds.'},
  INIT_PAYLOAD_INVALID: {kind: 'user', summary: 'The --init-payload value is not valid JSON.'},
  SET_INVALID: {kind: 'user', summary: 'A --set value is not of the form key=value.'},
  SET_KEY_FORBIDDEN: {kind: 'user', summary: 'A dotted key names __proto__, constructor or prototype, which would reach the prototype of every object.', hint: 'Rename the field.'},
  PROVIDER_UNKNOWN: {kind: 'user', summary: 'The pipeline names a queue provider that does not exist.'},
  ROUTE_NOT_FOUND: {kind: 'not_found', summary: 'No route with this id exists in the execution or among running executions.'},
  ENVELOPE_TOO_LARGE: {kind: 'user', summary: 'A message an adapter produced is over the size limit for broker messages.', hint: 'Store large content in object storage and pass its key, or raise the envelope size limit.'},
  ENVELOPE_INVALID: {kind: 'user', summary: 'A broker message is not a factflow envelope (not JSON).'},
  EXECUTION_LIMIT_REACHED: {kind: 'limit', summary: 'As many executions are running as the server allows.', hint: 'Retry once one ends, or raise limits.max_concurrent_executions.'},
  EXECUTION_TAG_TAKEN: {kind: 'conflict', summary: 'Another execution already has this tag.', hint: 'Choose another tag, or look up the existing execution by its tag.'},
  EXECUTION_NOT_RUNNING: {kind: 'conflict', summary: 'The execution is not running here, so it cannot be cancelled, paused or resumed that way.'},
  EXECUTION_NOT_FOUND: {kind: 'not_found', summary: 'No execution has this id or tag.', hint: 'List executions to find its id.'},
  EXECUTION_NOT_INTERRUPTED: {kind: 'conflict', summary: 'Only an interrupted execution can be resumed.'},
  EXECUTION_RUNNING: {kind: 'conflict', summary: 'The execution is running; its status cannot be set by hand.', hint: 'Cancel the execution instead.'},
  EXECUTION_STATE_CONFLICT: {kind: 'conflict', summary: 'The execution cannot move from its current status to the one asked for.'},
  EXECUTION_SNAPSHOT_INVALID: {kind: 'user', summary: 'The pipeline stored with the execution no longer validates, so it cannot be resumed.'},
  SERVER_UNREACHABLE: {kind: 'unavailable', summary: 'The client could not reach the factflow server.', hint: 'Start one with `factflow serve --embedded`, or point --server (FACTFLOW_SERVER_URL) at a running server.'},
  CLIENT_HEADER_INVALID: {kind: 'user', summary: 'A --header flag or FACTFLOW_HEADERS entry is not `Name: value`.'},
  WAIT_TIMEOUT: {kind: 'external', summary: 'The execution did not end within --timeout; it goes on running.', hint: 'Wait again, watch it, or cancel it.'},
  SERVER_SHUTTING_DOWN: {kind: 'unavailable', summary: 'The runtime is shutting down and starts no new execution.', hint: 'Start the execution again once the server is back.'},
  SERVER_LISTEN_FAILED: {kind: 'unavailable', summary: 'The server could not listen on its host and port.', hint: 'Choose another port, or stop the process that holds it.'},
  SERVER_NOT_AVAILABLE_YET: {kind: 'user', summary: 'This command cannot talk to a server yet.', hint: 'Run it against a local database instead.'},
  INJECTED_FAILURE: {kind: 'user', summary: 'The test-only `fail` adapter failed as its configuration asked.'},

  // Settings and configs
  SETTINGS_INVALID: {kind: 'user', summary: 'A settings file or setting has a value that is not valid.', hint: 'config/factflow.example.yaml describes every key.'},
  SETTINGS_NOT_FOUND: {kind: 'user', summary: 'A settings file could not be read.', hint: 'Check the path given with --config or the environment.'},
  CONFIG_NOT_FOUND: {kind: 'not_found', summary: 'No stored config has this id.', hint: 'List configs to find its id.'},
  CONFIG_NAME_TAKEN: {kind: 'conflict', summary: 'A stored config already has this name.', hint: 'Choose another name, or add a version to the existing config.'},
  CONFIG_INACTIVE: {kind: 'user', summary: 'The config is deactivated and cannot be run.', hint: 'Activate it again first.'},
  CONFIG_NOT_RUNNABLE: {kind: 'user', summary: 'The config has validation errors, so it cannot be run.', hint: 'Read its validation report and fix the errors.'},
  CONFIG_YAML_UNPARSABLE: {kind: 'user', summary: 'The config text is not a YAML mapping.'},

  // Database
  DATABASE_UNAVAILABLE: {kind: 'unavailable', summary: 'The database could not be opened or reached.', hint: 'Check the database URL and that the database is running.'},
  DATABASE_UNREACHABLE: {kind: 'unavailable', summary: 'The database server did not answer.', hint: 'Check the database URL and that the database is running.'},
  DATABASE_OPEN_FAILED: {kind: 'user', summary: 'The embedded database directory could not be opened.'},
  DATABASE_URL_INVALID: {kind: 'user', summary: 'The database setting is neither a postgres:// URL nor a directory path.'},
  DATABASE_IN_USE: {kind: 'unavailable', summary: 'Another process already has the embedded database open.', hint: 'Stop the other factflow process, or use another database directory.'},
  MIGRATION_FAILED: {kind: 'bug', summary: 'A database migration failed.'},
  MIGRATION_DUPLICATE: {kind: 'bug', summary: 'Two shipped migrations have the same version.'},
  MIGRATIONS_NOT_FOUND: {kind: 'bug', summary: 'The migrations shipped with factflow could not be found.', hint: 'Reinstall factflow.'},
  MIGRATION_UNKNOWN: {kind: 'bug', summary: 'The database was migrated by a newer factflow than this one.', hint: 'Use the factflow version that created this database, or a newer one.'},
  MIGRATION_CHECKSUM_MISMATCH: {kind: 'bug', summary: 'An applied migration was changed after it ran.'},
  BAD_COPY_TARGET: {kind: 'bug', summary: 'A bulk copy named a table or column that is not a plain SQL identifier.'},
  INVALID_ID: {kind: 'user', summary: 'A value that should be an id (a UUID) is not one.'},

  // Queue
  QUEUE_PROVIDER_CLOSED: {kind: 'bug', summary: 'A queue provider was used after it was closed.'},
  QUEUE_SUBSCRIBE_INVALID: {kind: 'bug', summary: 'A queue subscription was asked for with options the provider cannot honour.'},
  QUEUE_URL_INVALID: {kind: 'user', summary: 'The queue URL is not one of the accepted forms.'},
  QUEUE_BROKER_UNREACHABLE: {kind: 'unavailable', summary: 'The broker did not answer when factflow connected to it.', hint: 'Check the queue URL (--queue, FACTFLOW_QUEUE_URL) and that the broker is running.'},
  QUEUE_BROKER_UNAVAILABLE: {kind: 'unavailable', summary: 'The broker connection was lost and did not come back before the reconnect deadline.', hint: 'Bring the broker back, then resume the execution; messages the broker holds are kept. Raise reconnect_deadline_ms in the queue URL to wait longer.'},
  QUEUE_BROKER_REFUSED: {kind: 'external', summary: 'The broker refused an operation (credentials, permissions, a queue declared with other arguments, a publish it would not take).'},

  // Object storage
  STORAGE_URI_INVALID: {kind: 'user', summary: 'The storage URI is not a file path or an s3:// URI factflow understands.'},
  STORAGE_NOT_FOUND: {kind: 'not_found', summary: 'No object with this key is in storage.'},
  STORAGE_BUCKET_NOT_FOUND: {kind: 'not_found', summary: 'The S3 bucket does not exist.', hint: 'Create the bucket, or check the bucket name and endpoint.'},
  STORAGE_KEY_CONFLICT: {kind: 'user', summary: 'A file store cannot hold a key that is also the prefix of another key.'},
  STORAGE_INVALID_KEY: {kind: 'user', summary: 'The storage key is not valid for this store.'},
  STORAGE_INVALID_METADATA: {kind: 'user', summary: 'An object metadata name is not valid.'},
  STORAGE_METADATA_TOO_LARGE: {kind: 'user', summary: "An object's metadata is over S3's size limit for metadata headers."},
  STORAGE_INVALID_CURSOR: {kind: 'user', summary: 'The listing cursor was not issued by this store.', hint: 'Start the listing again without a cursor.'},
  STORAGE_INVALID_LIST_OPTIONS: {kind: 'user', summary: 'The listing options (such as the limit) are not valid.'},
  STORAGE_NOT_WRITABLE: {kind: 'user', summary: 'The storage directory is not writable.', hint: 'Fix the permissions of the storage directory, or choose another one.'},
  STORAGE_FULL: {kind: 'unavailable', summary: 'The disk holding the storage directory is full.', hint: 'Free disk space, then retry.'},
  STORAGE_IO_ERROR: {kind: 'external', summary: 'The file system failed to read or write an object.'},
  STORAGE_UNAVAILABLE: {kind: 'unavailable', summary: 'The S3 endpoint did not answer.', hint: 'Check the S3 endpoint and that it is running.'},
  STORAGE_ACCESS_DENIED: {kind: 'external', summary: 'S3 refused access to the bucket or object.', hint: 'Check the S3 credentials and the bucket policy.'},
  STORAGE_S3_ERROR: {kind: 'external', summary: 'S3 answered with an error.'},
  ARTEFACT_MISSING: {kind: 'not_found', summary: 'A payload names a storage key that is not in storage.', hint: 'It may have been deleted or written to another storage; check --storage / FACTFLOW_STORAGE_URI.'},
  STORAGE_RANGE_NOT_SATISFIABLE: {kind: 'user', apiStatus: '416', summary: 'The Range header asks for bytes outside the object.', hint: 'Ask for a range within the object\'s size (its metadata has content_length).'},
  ARCHIVE_JOB_NOT_FOUND: {kind: 'not_found', summary: 'No archive job has this id (jobs are kept in memory until the server restarts).', hint: 'Start a new archive with POST /api/v1/content/archive.'},
  ARCHIVE_NOT_READY: {kind: 'conflict', summary: 'The archive job has not finished, or it failed, so there is nothing to download.', hint: 'Poll GET /api/v1/content/archive/{job} until its status is completed.'},
  ARCHIVE_TOO_LARGE: {kind: 'user', summary: 'The archive would hold more objects than the server archives at once.', hint: 'Archive a narrower prefix.'},

  // Lineage and dead letters over the API
  LINEAGE_NOT_FOUND: {kind: 'not_found', summary: 'No lineage row has this id.', hint: 'List lineage rows (GET /api/v1/lineage) to find one.'},
  LINEAGE_BATCH_NOT_FOUND: {kind: 'not_found', summary: 'No lineage row carries this replay batch id.'},
  DEAD_LETTER_NOT_FOUND: {kind: 'not_found', summary: 'No dead letter has this id.', hint: 'List dead letters (GET /api/v1/dlq) to find one.'},
  DEAD_LETTER_ALREADY_REDRIVEN: {kind: 'conflict', summary: 'The dead letter was already redriven; if it failed again, it is a new dead letter.', hint: 'List the execution\'s dead letters for the new one.'},
  DEAD_LETTER_ROUTE_GONE: {kind: 'user', summary: 'The route of the dead letter is not in its execution\'s pipeline, so it has no queue to go back to.'},

  // Replay (docs/reference/engine.md, "Replay")
  REPLAY_SOURCE_RUNNING: {kind: 'conflict', summary: 'The execution to replay is still running, so its artefacts are not final.', hint: 'Wait for it to end (`factflow execution wait ID`), or cancel it.'},
  REPLAY_STAGE_NOT_FOUND: {kind: 'user', summary: 'No route of the replayed execution\'s pipeline has a stage with this name.', hint: 'Name a stage by its adapter `id`, or its type when it has none; `factflow execution dag ID` lists them.'},
  REPLAY_ROUTE_NOT_FOUND: {kind: 'user', summary: 'The route to replay into is not in the pipeline that runs the replay.', hint: '`factflow execution dag ID` (or the config) lists the routes.'},
  REPLAY_TO_ROUTE_REQUIRED: {kind: 'user', summary: 'The route to replay into cannot be told from the pipeline: the stage\'s route feeds no route, or several.', hint: 'Name it with `to_route` (`--to-route`).'},
  REPLAY_NO_ARTEFACTS: {kind: 'user', summary: 'The stage stored no artefacts in the replayed execution, so there is nothing to replay.', hint: 'Replay from a stage that writes to storage (file_reader, web_content_storage, markdown_storage_writer, …); `GET /api/v1/storage/objects?execution_id=ID` shows what was stored.'},
  REPLAY_ARTEFACTS_MISSING: {kind: 'conflict', summary: 'Artefacts of the stage were listed but can no longer be read; nothing was replayed.', hint: 'details.missing_keys names them: they were deleted or the storage changed. Restore them, or replay a narrower from_path.'},

  // Adapter payloads and files
  PAYLOAD_FIELD_MISSING: {kind: 'user', summary: 'A message payload lacks a field the adapter needs.', hint: "Check the previous route's output, or the init payload."},
  SEGMENTS_INVALID: {kind: 'user', summary: 'Stored segments are not a list of {index, text, token_count, heading_path}.'},
  FILE_NOT_FOUND: {kind: 'user', summary: 'The file to read does not exist.'},
  FILE_TOO_LARGE: {kind: 'user', summary: "The file is over the adapter's max_bytes.", hint: 'Raise max_bytes in the adapter config, or skip the file.'},
  DIRECTORY_NOT_FOUND: {kind: 'user', summary: 'The directory to list does not exist or is not a directory.'},
  FILE_OUTSIDE_ROOT: {kind: 'user', summary: 'A file or directory is outside files.root (after resolving `..` and symbolic links), so file adapters may not read it.', hint: 'Name a path under files.root, or move the root: files.root in the settings or FACTFLOW_FILES_ROOT (for `factflow run` the default is the working directory).'},
  FILES_ROOT_UNSET: {kind: 'user', summary: 'The server has no files.root, so directory_lister and file_reader may read nothing.', hint: 'Set files.root in the server\'s settings (or FACTFLOW_FILES_ROOT) to the folder its pipelines may read, and restart it.'},
  INPUT_NOT_HTML: {kind: 'user', summary: 'html_to_markdown was given content that is not HTML.'},
  INPUT_EMPTY: {kind: 'user', summary: 'html_to_markdown was given an empty document.'},
  HTML_NO_CONTENT: {kind: 'user', summary: 'The HTML document has no text to convert.'},

  // Web
  URL_INVALID: {kind: 'user', summary: 'A URL in the payload is not an absolute http(s) URL.', hint: 'Give a full URL such as https://example.com/page.'},
  HTTP_TIMEOUT: {kind: 'unavailable', summary: 'A web page did not answer or finish loading in time.'},
  HTTP_UNREACHABLE: {kind: 'unavailable', summary: 'A web site could not be reached (DNS, refused connection, network).'},
  PAGE_TOO_LARGE: {kind: 'external', summary: "A web page is over the adapter's max_bytes.", hint: 'Raise max_bytes in the adapter config if the page is wanted.'},
  TOO_MANY_REDIRECTS: {kind: 'external', summary: 'A web page redirects too often.'},
  REDIRECT_LOOP: {kind: 'external', summary: 'A web page redirects in a loop.'},
  REDIRECT_INVALID: {kind: 'external', summary: 'A web page redirects to something that is not an http(s) URL.'},
  REDIRECT_DOWNGRADE: {kind: 'external', summary: 'An https page redirects to plain http; the redirect is not followed.', hint: 'Request the http:// URL directly if an unencrypted copy is acceptable; the request\'s headers are never sent over the downgrade. It is not retried.'},
  NOT_RENDERABLE: {kind: 'external', summary: 'The URL is a download, not a page a browser can render.'},
  RATE_LIMITED: {kind: 'external', summary: 'The web site asked factflow to wait before its next request.', hint: 'The message is retried after the wait.'},
  ROBOTS_DISALLOWED: {kind: 'external', summary: "The site's robots.txt disallows this page, so it is not fetched."},
  ROBOTS_UNAVAILABLE: {kind: 'unavailable', summary: "The site's robots.txt could not be read."},
  SITEMAP_NOT_FOUND: {kind: 'not_found', summary: 'The sitemap does not exist.', hint: 'Check the sitemap URL, or the Sitemap: lines of the site\'s robots.txt.'},
  SITEMAP_INVALID: {kind: 'user', summary: 'The document at the sitemap URL is not a sitemap.'},
  SITEMAP_TOO_LARGE: {kind: 'user', summary: 'The sitemap is over the 50 MB a sitemap may have.'},
  SITEMAP_TOO_DEEP: {kind: 'user', summary: 'Sitemap indexes are nested deeper than factflow follows; the deeper ones are skipped.'},
  CHROMIUM_MISSING: {kind: 'external', summary: 'web_crawler needs Chromium, which is not installed.', hint: 'Install Chromium, or use web_scraper (no JavaScript) instead.'},
  CHROMIUM_LAUNCH_FAILED: {kind: 'external', summary: 'Chromium did not start.'},

  // LLMs and embeddings
  LLM_PROFILE_UNKNOWN: {kind: 'user', summary: 'No LLM profile has this name.', hint: 'Define the profile in the settings, or use one of the known profiles.'},
  LLM_API_KEY_MISSING: {kind: 'user', summary: 'The LLM profile has no API key.', hint: 'Set the variable its api_key names (e.g. OPENAI_API_KEY), or use the offline `local` profile.'},
  LLM_MODEL_MISSING: {kind: 'user', summary: 'Neither the LLM profile nor the adapter names a model.', hint: 'Set model in the profile or in the adapter config.'},
  LLM_PROMPT_FIELD_MISSING: {kind: 'user', summary: "The prompt refers to a payload field the message does not have."},
  LLM_JSON_SCHEMA_INVALID: {kind: 'user', summary: "The adapter's json_schema is not a valid JSON Schema."},
  LLM_INPUT_MISSING: {kind: 'user', summary: 'The payload has no text for the LLM adapter to work on.'},
  LLM_RATE_LIMITED: {kind: 'external', summary: 'The LLM API answered 429: too many requests.', hint: 'The call is retried after the wait; lower the profile\'s concurrency if it keeps happening.'},
  LLM_BAD_RESPONSE: {kind: 'external', summary: 'The LLM API sent an answer that could not be read.'},
  LLM_OUTPUT_INVALID: {kind: 'external', summary: "The model's answer does not match the adapter's json_schema."},
  LLM_TIMEOUT: {kind: 'unavailable', summary: 'The LLM API did not answer in time.'},
  LLM_UNREACHABLE: {kind: 'unavailable', summary: 'The LLM API could not be reached.', hint: 'Check the base URL of the profile and the network.'},
  EMBEDDING_PROFILE_UNKNOWN: {kind: 'user', summary: 'No embedding provider profile has this name.'},
  EMBEDDING_MODEL_UNKNOWN: {kind: 'user', summary: 'The local embedding provider has no model of this name.'},
  EMBEDDING_SLOT_MISMATCH: {kind: 'user', summary: 'The embedding slot already holds vectors of another model or dimension.', hint: 'Write to another slot, or use the model the slot was created with.'},
  EMBEDDING_PROVIDER_UNSUPPORTED: {kind: 'user', summary: 'The profile\'s provider has no embeddings (anthropic is chat only).'},
  EMBEDDING_DIMENSIONS_UNKNOWN: {kind: 'user', summary: 'The vector size of a remote embedding model is not known.', hint: 'Set `dimensions` in the embedding_generator config or on the profile.'},
  EMBEDDING_RESPONSE_INVALID: {kind: 'external', summary: 'The embedding provider answered the wrong number or size of vectors.'},

  // Search
  SEARCH_QUERY_EMPTY: {kind: 'user', summary: 'The search query is empty.'},
  SEARCH_NO_EMBEDDINGS: {kind: 'user', summary: 'The database holds no embeddings to search yet.', hint: 'Run a pipeline that writes embeddings first.'},
  SEARCH_SLOT_REQUIRED: {kind: 'user', summary: 'The database holds several embedding slots and the search did not name one.', hint: 'Name the slot to search with --slot.'},
  SEARCH_SLOT_UNKNOWN: {kind: 'not_found', summary: 'No embedding slot has this name.'},
  SEARCH_EMBEDDER_MISMATCH: {kind: 'user', summary: "The query embedder's model or dimension differs from the slot's vectors."},
  SEARCH_LANGUAGE_UNKNOWN: {kind: 'user', summary: 'The database has no text search configuration for this language.'},
  VECTOR_INDEX_UNAVAILABLE: {kind: 'user', summary: 'The database has no pgvector extension, so there is no vector index to build.'},

  // Outbound network (webhooks)
  NETWORK_TARGET_INVALID: {kind: 'user', summary: 'An outbound target is not an http(s) URL without credentials.'},
  NETWORK_TARGET_REFUSED: {kind: 'user', summary: 'An outbound target is, or resolves to, a loopback, private, link-local or reserved address the settings do not allow.', hint: 'Use a public address, or set network.allow_private / network.allow_link_local.'},
  NETWORK_TARGET_UNRESOLVABLE: {kind: 'user', summary: 'The host of an outbound target does not resolve.'},

  // Webhooks
  WEBHOOK_NOT_FOUND: {kind: 'not_found', summary: 'No webhook subscription has this id.', hint: 'GET /api/v1/webhooks lists them.'},
  WEBHOOK_DELIVERY_NOT_FOUND: {kind: 'not_found', summary: 'No webhook delivery has this id.', hint: 'GET /api/v1/webhooks/{id}/deliveries lists a subscription\'s deliveries.'},
  WEBHOOK_DELIVERY_PENDING: {kind: 'conflict', summary: 'The delivery is still queued or being sent, so it cannot be redelivered.', hint: 'Wait for its attempt to end, or look at its attempts.'},
  // Chat
  CHAT_THREAD_NOT_FOUND: {kind: 'not_found', summary: 'No chat thread has this id (for this identity).', hint: 'List the threads to find its id.'},
  CHAT_QUESTION_EMPTY: {kind: 'user', summary: 'The chat question is empty.', hint: 'Type a question, e.g. factflow chat --local --once "how do I retry a failed message?"'},
  CHAT_ANSWER_CANCELLED: {kind: 'cancelled', summary: 'The answer was stopped before it ended (the client went away or pressed Ctrl-C); what was said is kept.'},
  CHAT_ANSWER_FAILED: {kind: 'bug', summary: 'The answer failed for a reason that has no code of its own; the server log has the details.'},
  CHAT_SERVER_UNREACHABLE: {kind: 'unavailable', summary: 'No factflow server answered at the URL `factflow chat` tried.', hint: 'Start one with `factflow serve`, pass --server URL, or chat over the local database with --local.'},

  // Written by the server itself
  REQUEST_INVALID: {kind: 'user', apiStatus: '400 / 422', summary: 'The request body or a parameter is not valid (422 lists each problem).', hint: 'See /openapi.json for the request schema.'},
  REQUEST_TOO_LARGE: {kind: 'user', apiStatus: '413', summary: 'The request body is over the size limit.'},
  AUTH_REQUIRED: {kind: 'user', apiStatus: '401', summary: 'The server requires an identity from its trusted proxy.', hint: 'Call the server through its SSO proxy.'},
  NOT_FOUND: {kind: 'not_found', apiStatus: '404', summary: 'No API endpoint has this method and path.', hint: 'See /openapi.json for the API.'},
  INTERNAL_ERROR: {kind: 'bug', apiStatus: '500', summary: 'An unexpected failure; the server log has the details under the correlation id.'},
} as const satisfies Record<string, ErrorCodeEntry>

/** Every fixed code, with what it means and what to do. */
export const ERROR_CODES: Readonly<Record<keyof typeof ENTRIES, ErrorCodeEntry>> = ENTRIES

/**
 * Families of codes built from an HTTP status at run time, keyed by their prefix: `HTTP_404`
 * (a web page), `SITEMAP_HTTP_404` (a sitemap), `LLM_HTTP_500` (an LLM API).
 */
export const ERROR_CODE_FAMILIES = {
  HTTP_: {kind: 'external', summary: 'A web page answered with this HTTP error status (retried for 408, 429 and 5xx).'},
  SITEMAP_HTTP_: {kind: 'user', summary: 'A sitemap answered with this HTTP error status.'},
  LLM_HTTP_: {kind: 'external', summary: 'The LLM API answered with this HTTP error status (retried for 408 and 5xx).'},
} as const satisfies Record<string, ErrorCodeEntry>

/** A code `FactflowError` accepts: a catalogued one or a member of a status family. */
export type ErrorCode = keyof typeof ENTRIES | `HTTP_${number}` | `SITEMAP_HTTP_${number}` | `LLM_HTTP_${number}`

/** The catalogue entry of `code`: its own, or its family's for a status code. */
export function errorCodeEntry(code: string): ErrorCodeEntry | undefined {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code as keyof typeof ENTRIES]
  // Longest prefix first so SITEMAP_HTTP_404 is not read as a plain HTTP_ code.
  const family = Object.keys(ERROR_CODE_FAMILIES)
    .sort((a, b) => b.length - a.length)
    .find((prefix) => code.startsWith(prefix) && /^\d+$/.test(code.slice(prefix.length)))
  return family === undefined ? undefined : ERROR_CODE_FAMILIES[family as keyof typeof ERROR_CODE_FAMILIES]
}

/** Whether `code` is in the catalogue (for codes that arrive as plain strings). */
export function isErrorCode(code: string): code is ErrorCode {
  return errorCodeEntry(code) !== undefined
}
