/**
 * A redis-server of the test's own on a free loopback port, stopped by its PID. Under CI a
 * missing redis-server is an error, never a skip (`make setup` installs it).
 */
import { spawn, execFileSync } from 'node:child_process'
import { createServer, connect } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'

/** A port nothing listens on right now (the OS picks it). */
export async function freePort () {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

async function answersPing (port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(200, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')))
  })
}

/**
 * Starts redis-server — or `binary`, another server taking redis-server's `--port` and `--bind`
 * (redkit-server) — and resolves to `{ url, port, stop() }` once it answers PING (≤ 5 s).
 */
export async function startRedis ({ binary = null } = {}) {
  const port = await freePort()
  const listen = ['--port', String(port), '--bind', '127.0.0.1']
  if (!binary) execFileSync('redis-server', ['--version'])
  const child = spawn(binary ?? 'redis-server', binary ? listen : [...listen, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' })
  const deadline = Date.now() + 5000
  while (!(await answersPing(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill()
      throw new Error(`${binary ?? 'redis-server'} on port ${port} did not start`)
    }
    await sleep(20)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop () {
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        process.kill(child.pid, 'SIGTERM')
        await Promise.race([exited, sleep(5000)])
      }
    }
  }
}
