import { awsClients, readSecret } from '#commons/clients';
import { systemClock } from '#commons/clock';
import { pipelineConfigFromEnv } from '#commons/pipeline-config';
import { buildPipeline, type Pipeline } from './pipeline';

let pipeline: Promise<Pipeline> | undefined;

/**
 * The pipeline as a Lambda container builds it, once, on first use (so importing a handler
 * module for its factory, as the local runtime does, reads no environment).
 */
export function awsPipeline(): Promise<Pipeline> {
  pipeline ??= (async () => {
    const config = pipelineConfigFromEnv(process.env);
    const webhookSecretValue =
      'value' in config.webhookSecret
        ? config.webhookSecret.value
        : await readSecret(config.webhookSecret.secretArn);
    return buildPipeline({
      clients: awsClients(),
      config: { ...config, webhookSecretValue },
      clock: systemClock,
    });
  })();
  return pipeline;
}
