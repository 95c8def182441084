#!/usr/bin/env node
// `npx occasions …`: loads the TypeScript CLI (cli/main.ts) through tsx, with no build step.
import { tsImport } from 'tsx/esm/api';

const { runFromProcess } = await tsImport('./main.ts', import.meta.url);
await runFromProcess();
