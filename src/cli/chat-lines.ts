import {createInterface} from 'node:readline'
import type {Readable, Writable} from 'node:stream'

import {CHAT_COMMANDS_HELP, type ChatSession, formatSources, formatThreads, type SessionTurn} from '../chat/chat-session.js'
import {isFactflowError} from '../errors/index.js'

/**
 * `factflow chat` without a terminal (piped, `--no-tui`, CI): one question (or /command) per input
 * line, each answer streamed to `output` as it arrives with its citations under it. Ends at the end
 * of the input or `/quit`. Resolves to the number of answers that failed.
 */
export async function runChatLines(session: ChatSession, input: Readable, output: Writable, initialTurns: SessionTurn[] = []): Promise<number> {
  const write = (text: string) => output.write(text)
  for (const turn of initialTurns) write(`> ${turn.question}\n${turn.answer}\n${formatSources(turn.sources).join('\n')}\n\n`)
  let failed = 0
  const lines = createInterface({input, crlfDelay: Infinity, terminal: false})
  for await (const line of lines) {
    const command = line.trim()
    if (command === '') continue
    if (command === '/quit' || command === '/exit') break
    if (command === '/new') { session.newThread(); write('New thread: the next question starts it.\n\n'); continue }
    if (command === '/threads') { write(`${formatThreads(await session.threads(), session.threadId).join('\n')}\n\n`); continue }
    if (command === '/sources') {
      write(`${session.lastSources.length === 0 ? 'No sources retrieved yet.' : session.lastSources.map((s) => `[${s.index}] ${s.title} — ${s.url} (score ${s.score.toFixed(4)})\n    ${s.text.replaceAll(/\s+/g, ' ').slice(0, 300)}`).join('\n')}\n\n`)
      continue
    }
    if (command.startsWith('/')) { write(`Unknown command ${command}. ${CHAT_COMMANDS_HELP}\n\n`); continue }
    write(`> ${command}\n`)
    try {
      await session.ask(command, (event) => {
        if (event.type === 'token') write(event.content)
        else if (event.type === 'done') write(`\n${formatSources(session.lastSources).join('\n')}\n\n`)
        else if (event.type === 'error') {
          failed++
          write(`\nError [${event.error_code}]: ${event.detail}\n\n`)
        }
      })
    } catch (error) {
      // A refused question (empty, unknown profile) ends only that question.
      if (!isFactflowError(error)) throw error
      failed++
      write(`Error [${error.code}]: ${error.message}${error.hint ? `\nHint: ${error.hint}` : ''}\n\n`)
    }
  }
  lines.close()
  return failed
}
