export * from './factflow-error.js'
export * from './error-codes.js'
