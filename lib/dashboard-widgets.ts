// Moved: the widget definitions are shared by CDK (lib/monitoring.ts), the API's metrics route and
// the console, so they live beside the metric names in functions/commons.
export * from '../functions/commons/dashboard-widgets';
