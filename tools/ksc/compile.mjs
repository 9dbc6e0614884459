#!/usr/bin/env node
// Command-line front end for the pinned kaitai-struct-compiler npm package,
// which is a library only (no bin). Usage:
//   node tools/ksc/compile.mjs -t python -d OUTDIR [--debug] [-I DIR]... FILE.ksy...
// Exit status: 0 on success, 1 on a compile or YAML error, 2 on bad usage.
// Nothing is written unless every input compiles.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { createRequire } from 'node:module';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const compiler = require('kaitai-struct-compiler');

const USAGE = 'usage: node tools/ksc/compile.mjs -t LANG -d OUTDIR [--debug] [-I DIR]... FILE.ksy...';

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { target: null, outDir: null, debug: false, importDirs: [], files: [] };
  const takeValue = (i, flag) => {
    if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--version') {
      process.stdout.write(`kaitai-struct-compiler ${compiler.version}\n`);
      process.exit(0);
    } else if (arg === '-t' || arg === '--target') {
      opts.target = takeValue(i++, arg);
    } else if (arg === '-d' || arg === '--outdir') {
      opts.outDir = takeValue(i++, arg);
    } else if (arg === '-I' || arg === '--import-path') {
      // Like ksc, one -I may carry several directories joined by the path delimiter.
      opts.importDirs.push(...takeValue(i++, arg).split(path.delimiter).filter(Boolean));
    } else if (arg === '--debug') {
      opts.debug = true;
    } else if (arg === '--') {
      opts.files.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      opts.files.push(arg);
    }
  }
  if (!opts.target) throw new UsageError('missing -t LANG');
  if (!compiler.languages.includes(opts.target)) {
    throw new UsageError(`unknown target '${opts.target}' (one of: ${compiler.languages.join(', ')})`);
  }
  if (!opts.outDir) throw new UsageError('missing -d OUTDIR');
  if (opts.files.length === 0) throw new UsageError('no .ksy files given');
  return opts;
}

/** An error that is already one readable line; printed as is. */
class KsyError extends Error {}

// YAML 1.2 core schema. Integers are parsed as BigInt first so that values
// past 2**53 (u8 magics, masks) are not silently rounded by JS numbers.
function loadKsy(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new KsyError(`${file}: cannot read: ${e.code ?? e.message}`);
  }
  let doc;
  try {
    doc = YAML.parse(text, { version: '1.2', intAsBigInt: true, prettyErrors: true });
  } catch (e) {
    const where = e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    const msg = String(e.message).split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new KsyError(`${file}${where}: YAML error: ${msg}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KsyError(`${file}: top level must be a YAML mapping`);
  }
  return fromBigInts(doc);
}

function fromBigInts(value) {
  if (typeof value === 'bigint') {
    // The compiler parses a string as an expression, so a big decimal literal stays exact.
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) return value.map(fromBigInts);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromBigInts(v);
    return out;
  }
  return value;
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// The compiler resolves `imports:` chains itself: a relative import reaches
// importYaml already joined onto the importing file's directory, expressed
// relative to the top-level file's directory (mode "rel"); an import starting
// with "/" arrives without it (mode "abs") and is looked up in the -I dirs only.
function makeImporter(rootFile, importDirs) {
  const rootDir = path.dirname(rootFile);
  return {
    importYaml(name, mode) {
      const dirs = mode === 'rel' ? [rootDir, ...importDirs] : importDirs;
      const tried = [];
      for (const dir of dirs) {
        const candidate = path.join(dir, `${name}.ksy`);
        tried.push(candidate);
        if (isFile(candidate)) {
          try {
            return Promise.resolve(loadKsy(candidate));
          } catch (e) {
            return Promise.reject(e);
          }
        }
      }
      const looked = tried.length ? tried.join(', ') : 'no -I directories given';
      return Promise.reject(new KsyError(`import '${name}' not found (tried ${looked})`));
    },
  };
}

// Errors thrown by the Scala.js compiler are Java-style exceptions; their
// message may span lines, so fold it into one.
function oneLine(file, e) {
  if (e instanceof KsyError) return e.message;
  let msg;
  if (e instanceof Error) {
    msg = e.message || String(e);
  } else if (e && typeof e.getMessage__T === 'function') {
    msg = e.getMessage__T();
  } else {
    msg = String(e);
  }
  const name = e && e.constructor && e.constructor.name && !/^\$?c_/.test(e.constructor.name) ? e.constructor.name : '';
  // An importer rejection comes back wrapped as "error: Error: <our message>".
  msg = String(msg).replace(/\s*\n\s*/g, ' ').replace('error: Error: ', 'error: ').trim();
  // The compiler's messages already start with the spec name and path ("spec: /seq/0: error: ...").
  return `${file}: ${name && name !== 'Error' ? `${name}: ` : ''}${msg}`;
}

// A first comment line naming the compiler version, which the compiler's own
// header leaves out; added only where the comment syntax is "#".
function headerFor(target, debug) {
  if (!['python', 'ruby', 'perl', 'graphviz', 'nim'].includes(target)) return '';
  return `# kaitai-struct-compiler ${compiler.version} via tools/ksc/compile.mjs${debug ? ' --debug' : ''}; do not edit\n`;
}

function ensurePythonPackage(outDir) {
  const init = path.join(outDir, '__init__.py');
  if (!fs.existsSync(init)) {
    fs.writeFileSync(init, '"""Parsers generated from ksy/*.ksy by tools/ksc/compile.mjs; never edit by hand."""\n');
  }
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`compile.mjs: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }

  const outputs = new Map(); // file name -> contents
  const origin = new Map(); // file name -> .ksy that produced it first
  let failed = false;
  for (const file of opts.files) {
    let files;
    try {
      const spec = loadKsy(file);
      // Project rule: meta/id is the file name, so each generated module maps back to one .ksy.
      const stem = path.basename(file).replace(/\.ksy$/, '');
      const id = spec.meta && spec.meta.id;
      if (id !== stem) throw new KsyError(`${file}: /meta/id is '${id}' but must equal the file name '${stem}'`);
      files = await compiler.compile(opts.target, spec, makeImporter(file, opts.importDirs), opts.debug);
    } catch (e) {
      process.stderr.write(`${oneLine(file, e)}\n`);
      failed = true;
      continue;
    }
    for (const name of Object.keys(files).sort()) {
      const contents = headerFor(opts.target, opts.debug) + files[name];
      if (path.isAbsolute(name) || path.normalize(name).startsWith('..')) {
        process.stderr.write(`${file}: refusing output name outside OUTDIR: ${name}\n`);
        failed = true;
      } else if (outputs.has(name) && outputs.get(name) !== contents) {
        process.stderr.write(`${file}: output ${name} differs from the one compiled from ${origin.get(name)}\n`);
        failed = true;
      } else if (!outputs.has(name)) {
        outputs.set(name, contents);
        origin.set(name, file);
      }
    }
  }
  if (failed) return 1;

  fs.mkdirSync(opts.outDir, { recursive: true });
  for (const name of [...outputs.keys()].sort()) {
    const dest = path.join(opts.outDir, name);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, outputs.get(name));
  }
  if (opts.target === 'python') ensurePythonPackage(opts.outDir);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`compile.mjs: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
