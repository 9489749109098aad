export * from './factflow-error.js'
