import type {IssueCollector} from '../issues.js'
import type {PathSegment} from '../path.js'

/**
 * Reports a `${NAME}` that could not be substituted: E008 when `allowed` (the server's
 * `pipelines.env`) does not list the name, whether or not the server has it set (so a posted
 * config learns nothing of the server's environment); E006 when the variable is unset.
 */
export function reportUnsetVariable(issues: IssueCollector, segments: PathSegment[], name: string, allowed: ReadonlySet<string> | undefined): void {
  if (allowed !== undefined && !allowed.has(name)) {
    issues.add('E008', segments, `\`\${${name}}\` names the environment variable ${name}, which this server does not give to pipeline configs`, {
      suggestion: `write the value into the config, give a default (\`\${${name}:-value}\`), or have the operator list ${name} in pipelines.env (FACTFLOW_PIPELINE_ENV)`,
    })
    return
  }
  issues.add('E006', segments, `\`\${${name}}\` refers to the environment variable ${name}, which is not set`, {
    suggestion: `set ${name}, or give a default: \`\${${name}:-value}\``,
  })
}
