import {Box, Static, Text, useApp, useInput} from 'ink'
import Spinner from 'ink-spinner'
import {useCallback, useRef, useState} from 'react'

import {CHAT_COMMANDS_HELP, type ChatSession, formatSources, formatThreads, type SessionTurn} from '../chat/chat-session.js'
import type {ChatSource} from '../chat/chat-types.js'

export interface ChatViewProps {
  session: ChatSession
  /** Turns of a continued thread, shown first. */
  initialTurns?: SessionTurn[]
  /** One line under the title: profile, slot, database. */
  subtitle?: string
}

/** A finished entry of the transcript (printed once, above the live part). */
type NewEntry = {kind: 'turn'; turn: SessionTurn} | {kind: 'info'; lines: string[]; color?: string}
type Entry = NewEntry & {id: number}

interface Pending {
  question: string
  answer: string
  sources: ChatSource[]
  retrieved: boolean
}

function Turn({turn}: {turn: SessionTurn}) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text color="cyan" bold>› {turn.question}</Text>
      <Text>{turn.answer}</Text>
      {turn.error ? <Text color="red">✗ {turn.error}</Text> : null}
      {formatSources(turn.sources).map((line) => <Text key={line} dimColor>{line}</Text>)}
    </Box>
  )
}

/**
 * The interactive view of `factflow chat`: the transcript (each answer with its citations), the
 * answer being streamed, and an input line. `/new`, `/threads`, `/sources`, `/quit`; Ctrl-C quits.
 */
export function ChatView({session, initialTurns = [], subtitle}: ChatViewProps) {
  const {exit} = useApp()
  const nextId = useRef(0)
  const [entries, setEntries] = useState<Entry[]>(() => [
    ...initialTurns.map((turn): Entry => ({id: nextId.current++, kind: 'turn', turn})),
  ])
  const [input, setInputState] = useState('')
  // The key handler reads the line from a ref: keys can arrive before React re-subscribes the handler with the new state.
  const line = useRef('')
  const setInput = useCallback((next: string) => {
    line.current = next
    setInputState(next)
  }, [])
  const [pending, setPendingState] = useState<Pending | undefined>()
  const busy = useRef(false)
  const setPending = useCallback((next: Pending | undefined) => {
    busy.current = next !== undefined
    setPendingState(next)
  }, [])

  const add = useCallback((entry: NewEntry) => setEntries((all) => [...all, {...entry, id: nextId.current++}]), [])
  const info = useCallback((lines: string[], color?: string) => add({kind: 'info', lines, ...(color ? {color} : {})}), [add])

  const submit = useCallback(async (text: string) => {
    const command = text.trim()
    if (command === '') return
    if (command === '/quit' || command === '/exit') return exit()
    if (command === '/new') {
      session.newThread()
      return info(['New thread: the next question starts it.'], 'yellow')
    }
    if (command === '/sources') {
      const sources = session.lastSources
      return info(sources.length === 0 ? ['No sources retrieved yet.'] : sources.flatMap((source) => [
        `[${source.index}] ${source.title} — ${source.url} (score ${source.score.toFixed(4)})`,
        `    ${source.text.replaceAll(/\s+/g, ' ').slice(0, 300)}`,
      ]))
    }
    if (command === '/threads') {
      try {
        return info(formatThreads(await session.threads(), session.threadId))
      } catch (error) {
        return info([`✗ ${(error as Error).message}`], 'red')
      }
    }
    if (command.startsWith('/')) return info([`Unknown command ${command}. ${CHAT_COMMANDS_HELP}`], 'yellow')

    let state: Pending = {question: command, answer: '', sources: [], retrieved: false}
    setPending(state)
    let error: string | undefined
    try {
      await session.ask(command, (event) => {
        if (event.type === 'sources') state = {...state, sources: event.sources, retrieved: true}
        else if (event.type === 'token') state = {...state, answer: state.answer + event.content}
        else if (event.type === 'error') error = `${event.detail}${event.hint ? ` (${event.hint})` : ''}`
        setPending(state)
      })
    } catch (thrown) {
      const hint = (thrown as {hint?: unknown}).hint
      error = `${(thrown as Error).message}${typeof hint === 'string' ? ` (${hint})` : ''}`
    }
    setPending(undefined)
    add({kind: 'turn', turn: {question: command, answer: state.answer, sources: state.sources, ...(error ? {error} : {})}})
  }, [session, exit, add, info, setPending])

  useInput((typed, key) => {
    if (busy.current) return
    if (key.return) {
      const text = line.current
      setInput('')
      void submit(text)
    } else if (key.backspace || key.delete) {
      setInput(line.current.slice(0, -1))
    } else if (!key.ctrl && !key.meta && typed !== '' && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.tab && !key.escape) {
      // Text and Enter can arrive in one chunk (a paste, a fast terminal): the line ends at the first line break.
      const end = typed.search(/[\r\n]/)
      if (end === -1) return setInput(line.current + typed)
      const text = line.current + typed.slice(0, end)
      setInput('')
      void submit(text)
    }
  })

  return (
    <Box flexDirection="column">
      <Static items={[{id: -1, kind: 'header'} as const, ...entries]}>
        {(entry) => entry.kind === 'header'
          ? (
            <Box key="header" flexDirection="column" marginBottom={1}>
              <Text bold>factflow chat</Text>
              {subtitle ? <Text dimColor>{subtitle}</Text> : null}
              <Text dimColor>{CHAT_COMMANDS_HELP}</Text>
            </Box>
          )
          : entry.kind === 'turn'
            ? <Turn key={entry.id} turn={entry.turn} />
            : (
              <Box key={entry.id} flexDirection="column" marginBottom={1}>
                {entry.lines.map((line, i) => <Text key={i} color={entry.color}>{line}</Text>)}
              </Box>
            )}
      </Static>
      {pending
        ? (
          <Box flexDirection="column">
            <Text color="cyan" bold>› {pending.question}</Text>
            {pending.answer === ''
              ? <Text color="yellow"><Spinner type="dots" /> {pending.retrieved ? 'answering…' : 'searching…'}</Text>
              : <Text>{pending.answer}</Text>}
          </Box>
        )
        : (
          <Box>
            <Text color="green" bold>{'> '}</Text>
            <Text>{input}</Text>
            <Text inverse> </Text>
          </Box>
        )}
    </Box>
  )
}
