// Give a wasm-bindgen module's generated names short ones, in the .wasm, its JS glue and
// its type declarations.
//
//   node runtime-wasm/minify-names.mjs FILE_bg.wasm FILE.js [FILE.d.ts ...]
//
// wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` in the module
// "./<crate>_bg.js": about 60 bytes per import, written once in the .wasm (with the module
// name again each time) and once in the glue, and the hex digits do not compress. Each import
// module and each import is renamed to a short identifier (`a`, `b`, … `Z`, `aa`, …). Its
// closure shims are exports named after their Rust types with crate hashes
// (`wasm_bindgen_<hash>___convert__closures_____invoke___…`, up to 330 bytes each): they
// become `__ca`, `__cb`, …, in the glue and in the declaration files given (`InitOutput`
// types every export). The other exports keep their names.
//
// The glue must name each import once, as a key of its imports object
// (`__wbg_…: function(`), each module once (`"./x_bg.js": import0`), and each renamed export
// at least once: the script fails otherwise, rather than write a glue that does not fit its
// .wasm. Prints what it renamed and the bytes saved.
import fs from "node:fs";

const [wasmPath, jsPath, ...dtsPaths] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: node minify-names.mjs FILE_bg.wasm FILE.js [FILE.d.ts ...]");
  process.exit(2);
}
const wasm = fs.readFileSync(wasmPath);
let js = fs.readFileSync(jsPath, "utf8");
const dts = dtsPaths.map((p) => fs.readFileSync(p, "utf8"));

/** A reader of the wasm binary format's LEB128 integers and byte vectors. */
class Reader {
  constructor(bytes, at) {
    this.bytes = bytes;
    this.at = at;
  }
  byte() {
    if (this.at >= this.bytes.length) throw new Error("truncated .wasm");
    return this.bytes[this.at++];
  }
  /** An unsigned (or signed: the bits are only skipped) LEB128 number. */
  leb() {
    let value = 0, shift = 0, b;
    do {
      b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return value;
  }
  name() {
    const len = this.leb();
    const start = this.at;
    this.at += len;
    return this.bytes.subarray(start, this.at).toString("utf8");
  }
  /** A value or reference type: one byte, or a typed reference with its heap type. */
  valtype() {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.leb();
  }
  limits() {
    const flags = this.byte();
    this.leb();
    if (flags & 1) this.leb();
  }
  /** An import's description, skipped: its kind, then what that kind carries. */
  importDesc() {
    const kind = this.byte();
    switch (kind) {
      case 0x00: // function: type index
        this.leb();
        break;
      case 0x01: // table: reference type, limits
        this.valtype();
        this.limits();
        break;
      case 0x02: // memory
        this.limits();
        break;
      case 0x03: // global: value type, mutability
        this.valtype();
        this.byte();
        break;
      case 0x04: // tag: attribute, type index
        this.byte();
        this.leb();
        break;
      default:
        throw new Error(`unknown import kind 0x${kind.toString(16)}`);
    }
  }
}

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function encodeName(s) {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([leb(bytes.length), bytes]);
}

/** The n-th short identifier: a … z, A … Z, aa, ab, … */
function shortName(n) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  do {
    s = letters[n % letters.length] + s;
    n = Math.floor(n / letters.length) - 1;
  } while (n >= 0);
  return s;
}

/** Replace the single match of `pattern` in the glue, or fail. */
function replaceOnce(pattern, replacement, what) {
  const matches = js.match(new RegExp(pattern.source, "g")) ?? [];
  if (matches.length !== 1) {
    throw new Error(`${what}: expected once in ${jsPath}, found ${matches.length} times`);
  }
  js = js.replace(pattern, replacement);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The import section (`start` to `end` of the .wasm) with short names, the glue to match. */
function importSection(start, end) {
  const r = new Reader(wasm, start);
  const count = r.leb();
  const entries = [leb(count)];
  for (let i = 0; i < count; i++) {
    const module = r.name();
    const field = r.name();
    const descStart = r.at;
    r.importDesc();
    if (!modules.has(module)) {
      const short = shortName(modules.size);
      modules.set(module, short);
      replaceOnce(new RegExp(`"${escape(module)}"(?=\\s*:)`), short, `module "${module}"`);
    }
    const short = shortName(i);
    replaceOnce(new RegExp(`(?<![\\w$])${escape(field)}(?=\\s*:)`), short, `import "${field}"`);
    entries.push(encodeName(modules.get(module)), encodeName(short), wasm.subarray(descStart, r.at));
    imports++;
  }
  if (r.at !== end) throw new Error("the import section has bytes after its entries");
  return Buffer.concat(entries);
}

/** A closure shim's export name: wasm-bindgen's, with a crate hash in it. */
const closureShim = /^wasm_bindgen_[0-9a-f]{16}___convert__closures_/;

/** The export section with the closure shims renamed, the glue and declarations to match. */
function exportSection(start, end) {
  const r = new Reader(wasm, start);
  const count = r.leb();
  const entries = [leb(count)];
  for (let i = 0; i < count; i++) {
    let name = r.name();
    const descStart = r.at;
    r.byte();
    r.leb();
    if (closureShim.test(name)) {
      const short = `__c${shortName(exports++)}`;
      const word = (n) => new RegExp(`(?<![\\w$])${escape(n)}(?![\\w$])`, "g");
      if (word(short).test(js)) throw new Error(`${jsPath} already has a name ${short}`);
      const uses = js.match(word(name))?.length ?? 0;
      if (uses === 0) throw new Error(`export "${name}": not in ${jsPath}`);
      js = js.replace(word(name), short);
      dts.forEach((text, d) => (dts[d] = text.replace(word(name), short)));
      name = short;
    }
    entries.push(encodeName(name), wasm.subarray(descStart, r.at));
  }
  if (r.at !== end) throw new Error("the export section has bytes after its entries");
  return Buffer.concat(entries);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath} is not a .wasm`);
const sections = [wasm.subarray(0, 8)];
const modules = new Map();
let at = 8, imports = 0, exports = 0;
while (at < wasm.length) {
  const header = new Reader(wasm, at);
  const id = header.byte();
  const size = header.leb();
  const start = header.at, end = start + size;
  const rewrite = { 2: importSection, 7: exportSection }[id];
  if (rewrite) {
    const body = rewrite(start, end);
    sections.push(Buffer.from([id]), leb(body.length), body);
  } else {
    sections.push(wasm.subarray(at, end));
  }
  at = end;
}
const out = Buffer.concat(sections);
const jsBefore = fs.statSync(jsPath).size;
fs.writeFileSync(wasmPath, out);
fs.writeFileSync(jsPath, js);
dtsPaths.forEach((p, d) => fs.writeFileSync(p, dts[d]));
console.log(
  `renamed ${imports} imports in ${modules.size} module(s) and ${exports} closure exports: ` +
    `.wasm ${wasm.length} -> ${out.length} bytes, glue ${jsBefore} -> ${Buffer.byteLength(js)} bytes`,
);
