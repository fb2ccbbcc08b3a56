// JavaScript test harness, run by node in the run's own process after the limits are set.
// The job arrives on stdin: code, entrypoint, args (one array per test), output_bytes. Each
// test calls the entry point with its arguments and writes one JSON line on fd 3: the returned
// value (never a verdict: the expected values are not in here), the error, the output it
// printed and its duration. The caller compares the values outside the sandbox.
'use strict';
const fs = require('fs');
const util = require('util');
const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const CAP = job.output_bytes;
const VALUE_CAP = job.value_cap;
// Piston has no spare fd: there the lines go to stdout after a per-run nonce.
const FD = job.fd === undefined ? 3 : job.fd;
const PREFIX = job.prefix || '';

function emit(obj) {
  fs.writeSync(FD, '\n' + PREFIX + JSON.stringify(obj) + '\n');
}

class Capture {
  constructor() { this.text = ''; this.dropped = 0; }
  write(chunk) {
    const s = String(chunk);
    const room = CAP - this.text.length;
    if (room > 0) this.text += s.slice(0, room);
    this.dropped += Math.max(0, s.length - Math.max(room, 0));
    return true;
  }
  value() {
    return this.dropped ? `${this.text}\n[output truncated: ${this.dropped} more characters]`
      : this.text;
  }
}

let current = new Capture();
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = (...args) => current.write(util.format(...args) + '\n');
}
process.stdout.write = (chunk) => current.write(chunk);
process.stderr.write = (chunk) => current.write(chunk);

function limitOf(err) {
  const text = String(err && (err.code || err.message || err));
  if (/EAGAIN/.test(text)) return 'processes';
  if (/EFBIG|ENOSPC|EDQUOT/.test(text)) return 'file_size';
  if (err instanceof RangeError && /allocation|Array buffer/i.test(err.message)) return 'memory';
  return null;
}

function describe(err) {
  const text = err && err.stack ? err.stack : String(err);
  return text.split('\n').filter((l) => !l.includes('[eval]')).slice(0, 8).join('\n')
    .slice(0, 4000);
}

async function main() {
  let fn;
  const loading = current;
  try {
    const module = { exports: {} };
    const factory = new Function('module', 'exports', 'require',
      `${job.code}\n;return typeof ${job.entrypoint} !== 'undefined' ? ${job.entrypoint}` +
      ` : module.exports.${job.entrypoint};`);
    fn = factory(module, module.exports, require);
    if (typeof fn !== 'function') {
      throw new ReferenceError(`no function named '${job.entrypoint}' is defined`);
    }
  } catch (err) {
    emit({ kind: 'load', error: describe(err), limit: limitOf(err), output: loading.value() });
    return;
  }
  for (let index = 0; index < job.args.length; index++) {
    current = new Capture();
    let value = null;
    let error = '';
    let limit = null;
    const started = process.hrtime.bigint();
    try {
      const returned = await fn(...job.args[index]);
      const encoded = JSON.stringify(returned === undefined ? null : returned);
      if (encoded !== undefined && encoded.length > VALUE_CAP) {
        throw new RangeError(`the function returned ${encoded.length} characters of JSON; ` +
          `at most ${VALUE_CAP}`);
      }
      value = encoded === undefined ? null : JSON.parse(encoded);
    } catch (err) {
      error = describe(err) || 'error';
      limit = limitOf(err);
    }
    const duration = Number(process.hrtime.bigint() - started) / 1e9;
    emit({ kind: 'test', index, ok: !error, value, error, limit, duration,
      output: current.value() });
  }
}

main().then(() => process.exit(0), (err) => {
  fs.writeSync(2, `harness: ${err}\n`);
  process.exit(70);
});
