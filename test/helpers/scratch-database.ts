import {randomBytes} from 'node:crypto'
import pg from 'pg'
import {POSTGRES_URL} from './services.js'

/** A fresh, empty PostgreSQL database on the test server, dropped by `drop()`. */
export interface ScratchDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

export async function createScratchDatabase(serverUrl = POSTGRES_URL): Promise<ScratchDatabase> {
  const name = `factflow_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({connectionString: serverUrl})
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({connectionString: serverUrl})
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
