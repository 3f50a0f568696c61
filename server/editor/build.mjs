// Rebuilds ../ascn_kg/static/query-editor.js (one minified file) and, beside it,
// query-editor.licenses.txt (the licence of every package in the bundle).
// Run from this folder: `npm ci && npm run build` (Node 18 or later).
import {build} from "esbuild";
import {readFileSync, writeFileSync, existsSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "ascn_kg", "static");
const LICENCE_FILES = ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "license"];

const result = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  metafile: true,
  outfile: join(target, "query-editor.js"),
  banner: {js: "/*! ASCN-KG query editor: CodeMirror 6 and codemirror-lang-sparql (MIT). " +
    "Licences: query-editor.licenses.txt. Rebuilt by server/editor/build.mjs */"},
});

const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match && !packages.has(match[1])) {
    const folder = join(here, "node_modules", match[1]);
    const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    const file = LICENCE_FILES.map((name) => join(folder, name)).find((path) => existsSync(path));
    if (!file) {
      throw new Error(`${match[1]} has no licence file`);
    }
    packages.set(match[1], {version: meta.version, licence: meta.license, text: readFileSync(file, "utf8").trim()});
  }
}
const notice = [...packages.keys()].sort().map((name) => {
  const {version, licence, text} = packages.get(name);
  return `${name} ${version} (${licence})\n${"-".repeat(name.length + version.length + 1)}\n${text}\n`;
});
writeFileSync(join(target, "query-editor.licenses.txt"),
  "Packages bundled in query-editor.js, with their licences.\n\n" + notice.join("\n"));
const size = readFileSync(join(target, "query-editor.js")).length;
console.log(`wrote query-editor.js (${size.toLocaleString("en")} bytes) with ${packages.size} packages`);
