import type {ValidationReport} from '../config/issues.js'
import {UserInputError} from '../errors/index.js'

/** A pipeline file failed validation; carries the validator's report for the caller to print. */
export class PipelineInvalidError extends UserInputError {
  constructor(readonly file: string, readonly report: ValidationReport) {
    super('PIPELINE_INVALID', `${file} is not a valid pipeline (${report.error_count} error${report.error_count === 1 ? '' : 's'}).`, {
      hint: `Run \`factflow config validate ${file}\` for the full report.`,
      details: {report: {...report}},
    })
  }
}
