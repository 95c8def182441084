// Runs after `npm ci` / `npm install` (package.json "postinstall"), like patch-package would.
//
// dynalite 4.0.0 keys each global secondary index entry by the index key plus only the first
// 6 hex digits (24 bits) of an MD5 of the item's table key. Two items with the same index
// partition and sort key (thousands of users due at the same instant in one due-index shard)
// whose digests share those 24 bits overwrite each other's entry: one of them silently vanishes
// from the index, and that user is never found due (seen: 1 of 10,000 bench users). DynamoDB
// itself keeps every item. The whole digest makes such a collision practically impossible.
//
// Local data directories written before the patch keep their old index entries; delete DATA_DIR
// (or start with a new one) after upgrading. Idempotent; does nothing when dynalite is absent.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const target = fileURLToPath(new URL('../node_modules/dynalite/db/index.js', import.meta.url));
const SHORT = ".digest('hex').slice(0, 6)";
const FULL = ".digest('hex') /* occasions: whole digest, see scripts/patch-dynalite.mjs */";

if (!existsSync(target)) {
  console.log('patch-dynalite: dynalite is not installed; nothing to patch');
} else {
  const source = readFileSync(target, 'utf8');
  if (source.includes(FULL)) {
    console.log('patch-dynalite: already patched');
  } else if (source.split(SHORT).length === 2) {
    writeFileSync(target, source.replace(SHORT, FULL));
    console.log('patch-dynalite: index entries now keyed by the whole MD5 of the table key');
  } else {
    // Another dynalite version: fail loudly rather than run with colliding index entries.
    console.error(`patch-dynalite: expected one "${SHORT}" in ${target}; check the dynalite version`);
    process.exit(1);
  }
}
