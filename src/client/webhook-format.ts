import type {WebhookDeliveryResource, WebhookSubscriptionResource} from '../api/webhook-schemas.js'
import {formatTable} from '../cli/format-table.js'
import {UserInputError} from '../errors/factflow-error.js'

/** `--filter k=v` flags as the subscription's filters (config_id, execution_id, route_id, adapter_name). */
export function parseWebhookFilters(flags: readonly string[]): Record<string, string> {
  const filters: Record<string, string> = {}
  for (const flag of flags) {
    const equals = flag.indexOf('=')
    if (equals <= 0) {
      throw new UserInputError('FLAG_INVALID', `Not a filter: ${JSON.stringify(flag)}`, {hint: 'Write filters as --filter key=value (keys: config_id, execution_id, route_id, adapter_name).'})
    }
    filters[flag.slice(0, equals).trim()] = flag.slice(equals + 1).trim()
  }
  return filters
}

/** `--events a,b` as a list. */
export const parseEventList = (value: string): string[] => value.split(',').map((e) => e.trim()).filter(Boolean)

const filtersText = (filters: Record<string, unknown>) => Object.entries(filters).map(([k, v]) => `${k}=${String(v)}`).join(' ')

export function webhookTable(webhooks: readonly WebhookSubscriptionResource[]): string {
  if (webhooks.length === 0) return 'No webhooks.\n'
  return formatTable(['ID', 'URL', 'EVENTS', 'ACTIVE', 'FILTERS'], webhooks.map((w) => [
    w.id, w.url, w.event_types.join(','), w.active ? 'yes' : 'no', filtersText(w.filters),
  ]))
}

export function webhookText(webhook: WebhookSubscriptionResource & {secret?: string}): string {
  const lines = [
    `id:           ${webhook.id}`,
    `url:          ${webhook.url}`,
    `events:       ${webhook.event_types.join(', ')}`,
    `active:       ${webhook.active ? 'yes' : 'no'}`,
    `filters:      ${filtersText(webhook.filters) || '-'}`,
    `description:  ${webhook.description ?? '-'}`,
    `created:      ${webhook.created_at}`,
  ]
  if (webhook.secret) lines.push(`secret:       ${webhook.secret}`, '              (shown once: keep it to check the X-Factflow-Signature of deliveries)')
  return `${lines.join('\n')}\n`
}

export function deliveryTable(deliveries: readonly WebhookDeliveryResource[]): string {
  if (deliveries.length === 0) return 'No deliveries.\n'
  return formatTable(['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'CODE', 'CREATED', 'ERROR'], deliveries.map((d) => [
    d.id, `${d.event_type}${d.is_test ? ' (test)' : ''}`, d.status, String(d.attempts), d.last_response_code === null ? '-' : String(d.last_response_code),
    d.created_at, d.last_error ?? '',
  ]))
}

export function deliveryText(delivery: WebhookDeliveryResource): string {
  const lines = [
    `id:        ${delivery.id}`,
    `event:     ${delivery.event_type}${delivery.is_test ? ' (test)' : ''}`,
    `status:    ${delivery.status}`,
    `attempts:  ${delivery.attempts}${delivery.next_attempt_at ? ` (next ${delivery.next_attempt_at})` : ''}`,
  ]
  for (const attempt of delivery.attempt_log) {
    lines.push(`  #${attempt.attempt} ${attempt.started_at} ${attempt.status}${attempt.response_code === null ? '' : ` ${attempt.response_code}`} ${Math.round(attempt.duration_ms)}ms${attempt.error ? `: ${attempt.error}` : ''}`)
  }
  return `${lines.join('\n')}\n`
}
