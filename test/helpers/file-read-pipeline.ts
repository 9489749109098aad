/** A pipeline that reads `file` (dead-lettered while the file is missing) and hands it to a second route. */
export function fileReadPipelineYaml(name: string, file: string): string {
  return `version: "1.0"
name: ${name}
error_handling: {max_retries: 0, dead_letter_queue: /queue/dlq}
routes:
  read:
    inbound: {queue: /queue/read}
    adapters:
      - type: file_reader
    outbound: [{queue: /queue/done}]
  done:
    inbound: {queue: /queue/done}
    adapters:
      - type: passthrough
init_message: {route: read, payload: {path: ${JSON.stringify(file)}}}
`
}

/** `slow-folder`: lists the `*.md` files under `dir`, then reads each one at a time, holding each `delayMs`. */
export function slowFolderPipelineYaml(dir: string, delayMs: number): string {
  return listThenReadYaml('slow-folder', dir, 1, `      - type: delay
        config: {ms: ${delayMs}}`)
}

/** `fan-out-fail`: lists the `*.md` files under `dir` and reads each; the first read fails for good (no retries): one dead letter. */
export function fanOutFailYaml(dir: string): string {
  return listThenReadYaml('fan-out-fail', dir, 0, `      - type: fail
        config: {mode: first_calls, calls: 1, retryable: false, message: "injected failure"}`)
}

/** Lists the `*.md` files under `dir` (route `list`), then reads each one at a time and runs `lastStage` (route `read`). */
function listThenReadYaml(name: string, dir: string, maxRetries: number, lastStage: string): string {
  return `version: "1.0"
name: ${name}
error_handling: {max_retries: ${maxRetries}, dead_letter_queue: /queue/dlq}
routes:
  list:
    inbound: {queue: /queue/list}
    adapters:
      - type: directory_lister
        config: {path: ${JSON.stringify(dir)}, include: "**/*.md"}
    outbound: [{queue: /queue/read}]
  read:
    inbound: {queue: /queue/read, concurrency: 1}
    adapters:
      - type: file_reader
${lastStage}
init_message: {route: list, payload: {}}
`
}
