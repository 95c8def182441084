// CDK app entry (cdk.json: `npx tsx bin/occasions.ts`). Choose the environment with `-c env=<name>`.
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../lib/config';
import { buildOccasions } from '../lib/occasions-app';

const app = new App();
buildOccasions(app, loadConfig(app.node));
app.synth();
