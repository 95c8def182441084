import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../lib/config';
import type { ServiceFunction } from '../../lib/constructs/service-function';
import { buildOccasions, type OccasionsStacks } from '../../lib/occasions-app';

// Infrastructure tier helpers. Bundling is skipped (no esbuild run; bundle-size.test.ts builds the
// handlers itself) and so is CDK's built-in CloudFormation schema validation, which
// `npm run synth` still runs; both only cost time here.

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export interface Synthesized extends OccasionsStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/** Synthesizes both stacks for the given context and fails on any unacknowledged cdk-nag finding. */
export function synth(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
  const stacks = buildOccasions(app, loadConfig(app.node));
  // The registered AwsSolutions plugin would fail Template.fromStack's synthesis anyway; say why.
  const findings = new AwsSolutionsChecks().validateScope(app).violations;
  if (findings.length > 0) {
    const lines = findings.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    throw new Error(`unacknowledged cdk-nag findings:\n${lines.join('\n')}`);
  }
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

export const json = (template: Template) => template.toJSON() as CfnTemplate;
export const resourcesOf = (template: Template, type: string) =>
  Object.entries(json(template).Resources).filter(([, resource]) => resource.Type === type);
export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Follows a cross-stack `Fn::ImportValue` to the value the stateful stack exports. */
export function resolveImport(stateful: Template, value: unknown): unknown {
  const name = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  if (typeof name !== 'string') return value;
  const output = Object.values(json(stateful).Outputs ?? {}).find(
    (candidate) => candidate.Export?.Name === name,
  );
  if (output === undefined) throw new Error(`no export named ${name}`);
  return output.Value;
}

export function logicalIdOf(fn: ServiceFunction): string {
  return fn.function.stack.getLogicalId(fn.function.node.defaultChild as CfnFunction);
}

export function functionProps(s: Synthesized, fn: ServiceFunction): Record<string, unknown> {
  const resource = json(s.statelessTemplate).Resources[logicalIdOf(fn)];
  if (resource === undefined) throw new Error('function not in template');
  return resource.Properties;
}

export function environmentOf(s: Synthesized, fn: ServiceFunction): Record<string, unknown> {
  return (functionProps(s, fn).Environment as { Variables: Record<string, unknown> }).Variables;
}

export function statementsOf(template: Template): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(
    ([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/** The statements of one function's own role policy. */
export function functionStatements(s: Synthesized, fn: ServiceFunction): Statement[] {
  const roleId = fn.role.stack.getLogicalId(fn.role.node.defaultChild as never);
  const policies = resourcesOf(s.statelessTemplate, 'AWS::IAM::Policy').filter(([, p]) =>
    (p.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
  );
  return policies.flatMap(
    ([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/** `/v1/{proxy+}` for a method, rebuilt from the ApiGateway::Resource parent chain. */
export function pathOf(template: Template, resourceId: unknown): string {
  const ref = (resourceId as { Ref?: string }).Ref;
  if (ref === undefined) return '/';
  const resource = json(template).Resources[ref];
  if (resource === undefined) throw new Error(`unknown API resource ${ref}`);
  const parent = pathOf(template, resource.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${String(resource.Properties.PathPart)}`;
}

/** Every alarm of the stateless stack as name → properties. */
export function alarmsOf(s: Synthesized): Map<string, Record<string, unknown>> {
  return new Map(
    resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [
      String(alarm.Properties.AlarmName),
      alarm.Properties,
    ]),
  );
}
