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
