import {BaseCommand} from '../src/cli/base-command.js'
import {Flags} from '../src/cli/oclif.js'

export default class Chat extends BaseCommand {
  static override summary = 'Ask questions about what a pipeline ingested; answers cite the passages they come from'
  static override description = `With --local, chats over the database that \`factflow run\` wrote (./output/db by default, or --database): each question is made standalone (follow-ups use the thread), the passages are retrieved by hybrid search, and the answer streams in with [n] citations listed under it. The \`local\` profile (the default without settings) answers offline with the best sentences of the passages; other profiles of factflow.yaml / FACTFLOW_SETTINGS generate the answer. Threads are kept in the database: --thread ID continues one.

On a terminal an interactive view opens: type a question; /new starts a thread, /threads lists them, /sources shows the last retrieval, /quit (or Ctrl-C) ends. Without a terminal (or --no-tui, CI=true) every input line is a question. --once asks one question and prints the answer (--json: {answer, sources, thread_id}; an error is then {error: {code, message, hint}} on stdout, with the same exit code).

Without --local it chats through a server (--server, FACTFLOW_SERVER_URL, default http://localhost:8000): the same view, with threads kept by the server for your identity.

Exit codes: 0 answered, 1 the model failed, 2 bad input (empty database, unknown thread, profile or slot), 4 no server reachable, 130 interrupted.`
  static override examples = [
    '<%= config.bin %> chat --local',
    '<%= config.bin %> chat --local --once "how do I retry a failed message?"',
    '<%= config.bin %> chat --local --once "and how do I undo it?" --thread 0194f5c2-… --json',
    '<%= config.bin %> chat --local --profile openai --limit 8',
  ]
  static override flags = {
    local: Flags.boolean({description: 'Chat over the local embedded database written by `factflow run`'}),
    database: Flags.string({description: 'Database URL or embedded PGlite directory (with --local)', default: './output/db', env: 'FACTFLOW_DATABASE_URL'}),
    server: Flags.string({description: 'Server URL (without --local; default http://localhost:8000)', env: 'FACTFLOW_SERVER_URL'}),
    header: Flags.string({description: 'Extra request header "Name: value" for the server (repeatable; env FACTFLOW_HEADERS)', multiple: true}),
    once: Flags.string({description: 'Ask this one question, print the answer and its sources, and exit'}),
    thread: Flags.string({description: 'Continue this thread'}),
    profile: Flags.string({description: 'LLM profile that answers (default: `default`; `local` is offline and extractive)'}),
    slot: Flags.string({description: 'Embedding slot to search (default: the only one)'}),
    source: Flags.string({description: 'Only documents whose id or source starts with this'}),
    limit: Flags.integer({description: 'Passages retrieved per question', min: 1, max: 20}),
    json: Flags.boolean({description: 'With --once: print one JSON document {answer, sources, thread_id} (errors too: {error: {code, message, hint}})'}),
    tui: Flags.boolean({description: 'Interactive terminal view (on a TTY)', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Chat)
    this.jsonErrors(flags.json)
    const {UserInputError} = await import('../src/errors/index.js')
    if (flags.json && flags.once === undefined) {
      throw new UserInputError('FLAG_INVALID', '--json needs --once (the interactive chat prints no JSON).', {hint: 'factflow chat --local --once "QUESTION" --json'})
    }
    const tui = flags.once === undefined && flags.tui && process.stdin.isTTY === true && process.stdout.isTTY === true && process.env.CI !== 'true'
    const settings = {profile: flags.profile, slot: flags.slot, source: flags.source, limit: flags.limit}
    const {chat, close, where} = flags.local ? await this.openLocal(flags.database, tui) : await this.openRemote(flags.server, flags.header ?? [])
    try {
      if (flags.once !== undefined) return await this.once(chat, flags.once, flags.thread, settings, flags.json)
      const {createChatSession} = await import('../src/chat/chat-session.js')
      const session = createChatSession(chat, {settings})
      const initialTurns = flags.thread === undefined ? [] : await session.openThread(flags.thread)
      const ready = await chat.check(settings)
      if (tui) {
        const [{render}, {createElement}, {ChatView}] = await Promise.all([import('ink'), import('react'), import('../src/ui/ChatView.js')])
        const subtitle = `profile ${ready.profile} (${ready.provider}) · slot ${ready.slot} · ${where}`
        const app = render(createElement(ChatView, {session, initialTurns, subtitle}), {patchConsole: false})
        await app.waitUntilExit()
        return
      }
      const {runChatLines} = await import('../src/cli/chat-lines.js')
      const failed = await runChatLines(session, process.stdin, process.stdout, initialTurns)
      if (failed > 0) this.setExitCode(1)
    } finally {
      await close()
    }
  }

  private async once(chat: import('../src/chat/chat-session.js').ChatBackend, question: string, threadId: string | undefined,
    settings: import('../src/chat/chat-types.js').ChatSettings, json: boolean): Promise<void> {
    const [{collectAnswer}, {formatSources}, errors] = await Promise.all([
      import('../src/chat/chat-service.js'), import('../src/chat/chat-session.js'), import('../src/errors/index.js'),
    ])
    const turn = threadId === undefined
      ? await chat.askInNewThread({settings}, {question}, null)
      : await chat.ask(threadId, {question, settings}, null)
    const controller = new AbortController()
    const onSigint = () => controller.abort()
    process.once('SIGINT', onSigint)
    try {
      let streamed = false
      const result = json ? await collectAnswer(turn, controller.signal) : await collectAnswer({
        ...turn,
        events: async function* (signal) {
          for await (const event of turn.events(signal)) {
            if (event.type === 'token') {
              process.stdout.write(event.content)
              streamed = true
            }
            yield event
          }
        },
      }, controller.signal)
      if (result.error !== undefined) {
        if (streamed) process.stdout.write('\n')
        const {error_code: code, detail, hint} = result.error
        const ErrorClass = code === 'CHAT_ANSWER_CANCELLED' ? errors.CancelledError : errors.ExternalError
        throw new ErrorClass(code as import('../src/errors/error-codes.js').ErrorCode, `${detail} (thread ${result.thread_id})`, hint ? {hint} : {})
      }
      if (json) {
        const sources = result.sources.map(({index, title, url, score, text}) => ({index, title, url, score, text}))
        this.log(JSON.stringify({answer: result.answer, sources, thread_id: result.thread_id}, null, 2))
        return
      }
      this.log(`\n\n${formatSources(result.sources).join('\n')}`)
      process.stderr.write(`thread ${result.thread_id} (continue it with --thread ${result.thread_id})\n`)
    } finally {
      process.off('SIGINT', onSigint)
    }
  }

  private async openLocal(database: string, tui: boolean) {
    const [{openLocalChat}, {createPinoLogger}] = await Promise.all([import('../src/chat/local-chat.js'), import('../src/logging/pino-logger.js')])
    // While Ink owns the terminal, logs go to a file (STYLE.md).
    const logger = createPinoLogger(tui ? {destination: `./output/logs/chat-${Date.now()}.log`} : {level: process.env.FACTFLOW_LOG_LEVEL ?? 'warn'})
    const {chat, close} = await openLocalChat({databaseUrl: database, logger})
    return {chat: chat as import('../src/chat/chat-session.js').ChatBackend, close, where: database}
  }

  /** No --local: the server at --server / FACTFLOW_SERVER_URL (threads kept there, per identity). */
  private async openRemote(server: string | undefined, headers: string[]) {
    const [{FactflowClient, DEFAULT_SERVER_URL, parseHeaders}, {createRemoteChat}, {UnavailableError}] = await Promise.all([
      import('../src/client/http-client.js'), import('../src/client/remote-chat.js'), import('../src/errors/index.js'),
    ])
    const client = new FactflowClient({serverUrl: server ?? DEFAULT_SERVER_URL, headers: await parseHeaders(headers, process.env.FACTFLOW_HEADERS)})
    try {
      await client.health()
    } catch (error) {
      if ((error as {code?: string}).code !== 'SERVER_UNREACHABLE') throw error
      throw new UnavailableError('CHAT_SERVER_UNREACHABLE', `No factflow server answered at ${client.serverUrl}.`, {
        hint: server === undefined
          ? 'Chat over the database `factflow run` wrote with --local, or start a server with `factflow serve` (or pass --server URL).'
          : 'Check --server / FACTFLOW_SERVER_URL and that `factflow serve` runs there, or chat over the local database with --local.',
      })
    }
    return {chat: createRemoteChat(client), close: async () => {}, where: client.serverUrl}
  }
}
