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
  return `version: "1.0"
name: slow-folder
error_handling: {max_retries: 1, dead_letter_queue: /queue/dlq}
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
      - type: delay
        config: {ms: ${delayMs}}
init_message: {route: list, payload: {}}
`
}

/** `fan-out-fail`: lists the `*.md` files under `dir` and reads each; the first read fails for good (no retries): one dead letter. */
export function fanOutFailYaml(dir: string): string {
  return `version: "1.0"
name: fan-out-fail
error_handling: {max_retries: 0, dead_letter_queue: /queue/dlq}
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
      - type: fail
        config: {mode: first_calls, calls: 1, retryable: false, message: "injected failure"}
init_message: {route: list, payload: {}}
`
}
