// Runs after `npm ci` / `npm install` (package.json "postinstall"), like patch-package would.
// Two patches to dynalite 4.0.0's db/index.js, each applied once and checked on its own; both make
// the local stand-in behave as DynamoDB does.
//
// 1. Whole digest in index entry keys. dynalite keys each global secondary index entry by the
//    index key plus only the first 6 hex digits (24 bits) of an MD5 of the item's table key. Two
//    items with the same index partition and sort key (thousands of users due at the same instant
//    in one due-index shard) whose digests share those 24 bits overwrite each other's entry: one
//    of them silently vanishes from the index, and that user is never found due (seen: 1 of 10,000
//    bench users). DynamoDB itself keeps every item. The whole digest makes such a collision
//    practically impossible. Local data directories written before this patch keep their old
//    index entries; delete DATA_DIR (or start with a new one) after upgrading.
//
// 2. No rewrite of an unchanged index entry. On every put, update or delete dynalite rewrote each
//    index entry of the item, changed or not. DynamoDB writes an index only when the item's index
//    keys or projected attributes change (which is why a status change of an occurrence, whose
//    indexes are KEYS_ONLY, costs no index write units). The patch drops the rewrite when the old
//    and the new item have the same index key and the same projected attributes, so a status write
//    costs dynalite one LevelDB write instead of three. It changes no index's contents (see
//    test/integration/dynalite-index-keys.test.ts).
//
// Idempotent; does nothing when dynalite is absent; fails loudly on another dynalite version
// rather than run without a patch.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const target = fileURLToPath(new URL('../node_modules/dynalite/db/index.js', import.meta.url));

const PATCHES = [
  {
    name: 'index entries keyed by the whole MD5 of the table key',
    original: ".digest('hex').slice(0, 6)",
    patched: ".digest('hex') /* occasions: whole digest, see scripts/patch-dynalite.mjs */",
  },
  {
    name: 'unchanged index entries are not rewritten',
    original: `      if (existingKey != key) {
        deletes.push({ index: index.IndexName, key: existingKey })
      }`,
    // Here `key` is set only if this iteration pushed the new entry, so pop() takes exactly that.
    patched: `      if (existingKey != key) {
        deletes.push({ index: index.IndexName, key: existingKey })
      } else if (occasionsSameProjection(index, tableKeys, indexKeys, existingItem, item)) {
        puts.pop() /* occasions: unchanged entry, see scripts/patch-dynalite.mjs */
      }`,
    appended: `
// occasions (scripts/patch-dynalite.mjs): do two item images project the same into an index?
function occasionsSameProjection (index, tableKeys, indexKeys, existingItem, item) {
  var attrs = index.Projection.ProjectionType == 'ALL'
    ? Array.from(new Set(Object.keys(existingItem).concat(Object.keys(item))))
    : indexKeys.concat(tableKeys, index.Projection.NonKeyAttributes || [])
  return attrs.every(function (attr) { return occasionsSameValue(existingItem[attr], item[attr]) })
}

// Deep equality of attribute values whatever their prototypes (UpdateItem's copies have none).
function occasionsSameValue (a, b) {
  if (a === b) return true
  if (typeof a != 'object' || typeof b != 'object' || a == null || b == null) return false
  if (Array.isArray(a) != Array.isArray(b)) return false
  var aKeys = Object.keys(a), bKeys = Object.keys(b)
  return aKeys.length == bKeys.length && aKeys.every(function (k) {
    return Object.prototype.hasOwnProperty.call(b, k) && occasionsSameValue(a[k], b[k])
  })
}
`,
  },
];

if (!existsSync(target)) {
  console.log('patch-dynalite: dynalite is not installed; nothing to patch');
} else {
  let source = readFileSync(target, 'utf8');
  for (const patch of PATCHES) {
    if (source.includes(patch.patched)) {
      console.log(`patch-dynalite: already patched: ${patch.name}`);
    } else if (source.split(patch.original).length === 2) {
      source = source.replace(patch.original, patch.patched) + (patch.appended ?? '');
      console.log(`patch-dynalite: patched: ${patch.name}`);
    } else {
      // Another dynalite version: fail loudly rather than run without the patch.
      console.error(
        `patch-dynalite: expected one copy of the code to patch (${patch.name}) in ${target}; check the dynalite version`,
      );
      process.exit(1);
    }
  }
  writeFileSync(target, source);
}
