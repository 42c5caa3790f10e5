// The npm `openai` client against the SkFallback gateway: a client in another language parsing our JSON and SSE.
// The test starts the gateway offline (built-in simulator, a development key it chooses) on a free loopback port:
// the built Release output when present (CI builds it first), else `dotnet run`. SKFALLBACK_GATEWAY_DLL overrides.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import OpenAI from 'openai';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dll = process.env.SKFALLBACK_GATEWAY_DLL ?? path.join(root, 'src/SkFallback.Proxy/bin/Release/net10.0/SkFallback.Proxy.dll');
const key = 'sk-skf-node-' + randomBytes(16).toString('hex');
const question = 'Plan a day trip to the coast with two stops.';
let gateway;
let baseUrl;
let simulatorUrl;
let client;

function startGateway() {
  const args = ['--urls', 'http://127.0.0.1:0', `--SkFallback:Proxy:DevelopmentKey=${key}`, '--Logging:LogLevel:Default=Warning'];
  const command = existsSync(dll) ? ['dotnet', [dll, ...args]] : ['dotnet', ['run', '--project', path.join(root, 'src/SkFallback.Proxy'), '-c', 'Release', '--', ...args]];
  const child = spawn(command[0], command[1], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 180 s:\n${output}`)), 180_000);
    const onData = (data) => {
      output += data.toString();
      const listening = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const simulator = output.match(/provider simulator at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (listening && simulator) {
        clearTimeout(timer);
        resolve({ child, url: listening[1], simulator: simulator[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (data) => { output += data.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}:\n${output}`)); });
  });
}

async function script(model, body) {
  const response = await fetch(`${simulatorUrl}_sim/models/${encodeURIComponent(model)}/script`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

async function readStream(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.flatMap((c) => c.choices.map((choice) => choice.delta?.content ?? '')).join('');
  return { chunks, text };
}

before(async () => {
  const started = await startGateway();
  gateway = started.child;
  baseUrl = started.url;
  simulatorUrl = started.simulator;
  client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 });
});

after(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
  }
});

test('models lists the virtual models', async () => {
  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  for (const name of ['default', 'smart', 'fast', 'cheap']) assert.ok(models.includes(name), `${name} in ${models}`);
});

test('plain completion: the answer, the model that served it, and the metadata headers', async () => {
  const { data, response } = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: question }] }).withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.model, 'gpt-4o-2024-08-06');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.ok(data.choices[0].message.content.split(' ').length >= 20);
  assert.equal(response.headers.get('x-skfallback-provider'), 'openai');
  assert.equal(response.headers.get('x-skfallback-attempts'), '1');
  assert.ok(data.usage.total_tokens > 0);
});

test('streaming completion: the same text as the whole answer, usage last, then the trailer', async () => {
  const whole = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: question }] });
  const stream = await client.chat.completions.create({ model: 'smart', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] });
  const { chunks, text } = await readStream(stream);
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason === 'stop').length, 1);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage.completion_tokens > 0);
  assert.equal(last.skfallback.provider, 'openai');
});

test('a 503 from the primary: the backup answers the stream, the client sees no error', async () => {
  // Twice: the offline chains retry a server error once on the same provider before falling back.
  await script('gpt-4o-2024-08-06', { then: [{ kind: 'server_error', statusCode: 503, times: 2 }] });
  const stream = await client.chat.completions.create({ model: 'smart', stream: true, messages: [{ role: 'user', content: 'Another question about Porto.' }] });
  const { chunks, text } = await readStream(stream);
  assert.ok(text.split(' ').length >= 20);
  assert.equal(chunks.at(-1).skfallback.provider, 'anthropic');
  assert.deepEqual(chunks.at(-1).skfallback.fallback_reasons, ['ServerError', 'ServerError']);
});

test('a stream cut after output started is continued: one stream, the primary text first', async () => {
  const whole = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'Describe the Douro valley.' }] });
  const firstWords = whole.choices[0].message.content.split(' ').slice(0, 12).join(' ');
  await script('gpt-4o-2024-08-06', { then: [{ kind: 'drop_after', tokens: 14 }] });
  const stream = await client.chat.completions.create({ model: 'smart', stream: true, messages: [{ role: 'user', content: 'Describe the Douro valley.' }] });
  const { chunks, text } = await readStream(stream);
  assert.ok(text.startsWith(firstWords), `${text} starts with ${firstWords}`);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
  assert.deepEqual(chunks.at(-1).skfallback.continued_from, ['openai', 'anthropic']);
});

test('errors come back as OpenAI errors the client raises', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => error.status === 404 && error.code === 'model_not_found');
  await assert.rejects(
    client.chat.completions.create({ model: 'default', n: 3, messages: [{ role: 'user', content: 'hi' }] }),
    (error) => error.status === 400 && error.param === 'n');
  const stranger = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    stranger.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => error.status === 401 && error.code === 'invalid_api_key');
});
