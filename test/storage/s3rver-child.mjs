// Runs s3rver in its own process. s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with
// DES, which Node 20's OpenSSL 3 only offers with --openssl-legacy-provider; the flag is given to
// this child so the test process itself keeps the default provider.
// argv[2]: JSON options for S3rver. Prints one JSON line {port} when listening; exits when stdin ends.
import S3rver from 's3rver'

const server = new S3rver({...JSON.parse(process.argv[2]), address: '127.0.0.1', port: 0, silent: true})
// Internal errors (HTTP 500) are s3rver bugs worth seeing in the test output; S3 errors are not.
server.on('error', (error) => {
  if (!(error.status < 500)) process.stderr.write(`s3rver internal error: ${error.stack}\n`)
})
const address = await server.run()
process.stdout.write(`${JSON.stringify({port: address.port})}\n`)
const stop = () => server.close().finally(() => process.exit(0))
process.stdin.on('end', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
