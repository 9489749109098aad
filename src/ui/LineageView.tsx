import {Box, Text, useApp, useInput} from 'ink'
import {useEffect, useMemo, useRef, useState} from 'react'

import {
  ancestorIds, describeMessage, flattenLineageTree, formatMs, type LineageTree, type LineageTreeNode, nextFailure, rowError, type TreeRow,
} from '../lineage/lineage-tree.js'

/** An artefact a message's stages stored. */
export interface LineageArtefact {
  key: string
  size: number
  content_type: string
}

export interface LineageViewProps {
  /** Shown in the header: execution id, config, status. */
  title: string
  tree: LineageTree
  /** The artefacts a message stored (asked when a message is selected; cached here). */
  loadArtefacts: (messageId: string) => Promise<LineageArtefact[]>
  /** An artefact's text. */
  readArtefact: (key: string) => Promise<string>
  /** Lines of the tree shown at once (default: the terminal's height less the panes, at least 5). */
  height?: number
}

const KEYS = '↑↓ move  → expand  ← collapse  f/F next/previous failure  o or 1-9 open artefact  q quit'
const TEXT_KEYS = '↑↓ scroll  PgUp/PgDn page  q or Esc back'

type Opened = {key: string; lines: string[]; top: number} | {key: string; error: string}

/**
 * `factflow lineage view`: the message tree of an execution, one line per message (its stages,
 * their status and time, the first error). Expand and collapse, jump to the next failure, see the
 * selected message's rows (error, timing) and artefacts, and open an artefact's text.
 */
export function LineageView({title, tree, loadArtefacts, readArtefact, height}: LineageViewProps) {
  const {exit} = useApp()
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(tree.roots.map((root) => root.messageId)))
  const [cursor, setCursor] = useState(0)
  const [artefacts, setArtefacts] = useState<ReadonlyMap<string, LineageArtefact[] | Error>>(new Map())
  const [opened, setOpened] = useState<Opened | undefined>()
  const [note, setNote] = useState<string | undefined>()
  const asked = useRef(new Set<string>())

  const lines = useMemo(() => flattenLineageTree(tree.roots, (node) => expanded.has(node.messageId)), [tree, expanded])
  const selected: LineageTreeNode | undefined = lines[Math.min(cursor, lines.length - 1)]?.node
  const rows = Math.max(5, height ?? (process.stdout.rows ?? 30) - 16)
  const textRows = Math.max(5, height ?? (process.stdout.rows ?? 30) - 6)

  useEffect(() => {
    if (!selected || asked.current.has(selected.messageId)) return
    asked.current.add(selected.messageId)
    const id = selected.messageId
    loadArtefacts(id).then(
      (list) => setArtefacts((old) => new Map(old).set(id, list)),
      (error: unknown) => setArtefacts((old) => new Map(old).set(id, error instanceof Error ? error : new Error(String(error)))),
    )
  }, [selected, loadArtefacts])

  // Keys can arrive before React re-subscribes the handler with the new state: it reads this ref.
  const live = useRef({lines, selected, expanded, opened, artefacts, cursor: Math.min(cursor, lines.length - 1)})
  live.current = {lines, selected, expanded, opened, artefacts, cursor: Math.min(cursor, lines.length - 1)}

  const select = (messageId: string, expandedSet: ReadonlySet<string>) => {
    const visible = flattenLineageTree(tree.roots, (node) => expandedSet.has(node.messageId))
    const index = visible.findIndex((line) => line.node.messageId === messageId)
    if (index >= 0) setCursor(index)
  }

  const open = (index: number) => {
    const {selected, artefacts} = live.current
    const list = selected ? artefacts.get(selected.messageId) : undefined
    const artefact = Array.isArray(list) ? list[index] : undefined
    if (!artefact) {
      setNote(Array.isArray(list) ? `no artefact ${index + 1} for this message` : 'artefacts not loaded yet')
      return
    }
    setNote(`opening ${artefact.key}…`)
    readArtefact(artefact.key).then(
      (text) => { setNote(undefined); setOpened({key: artefact.key, lines: text.split('\n'), top: 0}) },
      (error: unknown) => { setNote(undefined); setOpened({key: artefact.key, error: error instanceof Error ? error.message : String(error)}) },
    )
  }

  useInput((input, key) => {
    const {lines, selected, expanded, opened} = live.current
    if (opened) {
      if (input === 'q' || key.escape || key.leftArrow) return setOpened(undefined)
      if (!('lines' in opened)) return
      const last = Math.max(0, opened.lines.length - textRows)
      const by = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -textRows : key.pageDown || input === ' ' ? textRows : 0
      if (by !== 0) setOpened((old) => (old && 'lines' in old ? {...old, top: Math.min(last, Math.max(0, old.top + by))} : old))
      return
    }
    setNote(undefined)
    if (input === 'q' || key.escape) return exit()
    const setCursorNow = (next: (c: number) => number) => {
      // The ref follows at once, so the next key (before a render) sees where the cursor went.
      const value = next(live.current.cursor)
      live.current.cursor = value
      live.current.selected = lines[value]?.node
      setCursor(value)
    }
    if (key.upArrow || input === 'k') return setCursorNow((c) => Math.max(0, Math.min(c, lines.length - 1) - 1))
    if (key.downArrow || input === 'j') return setCursorNow((c) => Math.min(lines.length - 1, c + 1))
    if (key.pageUp) return setCursorNow((c) => Math.max(0, c - rows))
    if (key.pageDown) return setCursorNow((c) => Math.min(lines.length - 1, c + rows))
    if (!selected) return
    if (key.rightArrow || key.return || input === 'l' || input === ' ') {
      if (input === ' ' && expanded.has(selected.messageId)) return setExpanded(without(expanded, selected.messageId))
      if (selected.children.length > 0) setExpanded(new Set(expanded).add(selected.messageId))
      return
    }
    if (key.leftArrow || input === 'h') {
      if (expanded.has(selected.messageId) && selected.children.length > 0) return setExpanded(without(expanded, selected.messageId))
      if (selected.parentId !== null && tree.byMessage.has(selected.parentId)) select(selected.parentId, expanded)
      return
    }
    if (input === 'f' || input === 'F') {
      const failure = nextFailure(tree, selected.messageId, input === 'F')
      if (!failure) return setNote('no failed message in this execution')
      const next = new Set(expanded)
      for (const id of ancestorIds(tree, failure)) next.add(id)
      setExpanded(next)
      select(failure.messageId, next)
      return
    }
    if (input === 'o') return open(0)
    if (/^[1-9]$/.test(input)) return open(Number(input) - 1)
  })

  if (opened) {
    return (
      <Box flexDirection="column">
        <Text bold>{opened.key}</Text>
        {'error' in opened
          ? <Text color="red">✗ {opened.error}</Text>
          : opened.lines.slice(opened.top, opened.top + textRows).map((line, i) => <Text key={opened.top + i}>{line === '' ? ' ' : line}</Text>)}
        <Text dimColor>{'lines' in opened ? `lines ${opened.top + 1}-${Math.min(opened.lines.length, opened.top + textRows)} of ${opened.lines.length} · ` : ''}{TEXT_KEYS}</Text>
      </Box>
    )
  }

  const current = Math.min(cursor, lines.length - 1)
  const top = Math.max(0, Math.min(current - Math.floor(rows / 2), lines.length - rows))
  const failedCount = [...tree.byMessage.values()].filter((node) => node.failed).length
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      <Text dimColor>{tree.byMessage.size} messages · {failedCount} failed · line {current + 1} of {lines.length}</Text>
      <Box flexDirection="column" marginTop={1}>
        {lines.slice(top, top + rows).map((line, i) => {
          const node = line.node
          const mark = node.children.length === 0 ? ' ' : expanded.has(node.messageId) ? '▾' : '▸'
          return (
            <Text key={node.messageId} inverse={top + i === current} color={node.failed ? 'red' : undefined} wrap="truncate-end">
              {top + i === current ? '›' : ' '} {line.guide}{mark} {describeMessage(node)}
            </Text>
          )
        })}
      </Box>
      {selected ? <Details node={selected} artefacts={artefacts.get(selected.messageId)} /> : <Text>No lineage rows.</Text>}
      {note ? <Text color="yellow">{note}</Text> : null}
      <Text dimColor>{KEYS}</Text>
    </Box>
  )
}

function Details({node, artefacts}: {node: LineageTreeNode; artefacts: LineageArtefact[] | Error | undefined}) {
  const started = (row: TreeRow) => (typeof row.started_at === 'string' ? row.started_at : row.started_at.toISOString())
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="single" paddingX={1}>
      <Text bold>message {node.messageId} · route {node.routeId}{node.parentId ? ` · parent ${node.parentId.slice(-8)}` : ' · root'} · {formatMs(node.durationMs)}</Text>
      {node.rows.map((row) => (
        <Box key={row.id} flexDirection="column">
          <Text color={row.stage_status === 'failed' ? 'red' : undefined} wrap="truncate-end">
            {row.adapter_name.padEnd(20)} {row.stage_status.padEnd(10)} {(row.duration_ms === null ? '-' : formatMs(row.duration_ms)).padStart(8)}  {started(row)}
          </Text>
          {rowError(row) ? <Text color="red">  ✗ {errorLine(row)}</Text> : null}
        </Box>
      ))}
      {artefacts === undefined
        ? <Text dimColor>artefacts: loading…</Text>
        : artefacts instanceof Error
          ? <Text color="red">artefacts: {artefacts.message}</Text>
          : artefacts.length === 0
            ? <Text dimColor>artefacts: none</Text>
            : artefacts.slice(0, 9).map((a, i) => <Text key={a.key} wrap="truncate-end">[{i + 1}] {a.key} ({a.size} B, {a.content_type})</Text>)}
    </Box>
  )
}

function errorLine(row: TreeRow): string {
  const error = (row.error_info ?? {}) as {error_class?: string; code?: string}
  return `${error.error_class ?? 'Error'}${error.code ? ` [${error.code}]` : ''}: ${rowError(row)}`
}

function without(set: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(set)
  next.delete(id)
  return next
}
