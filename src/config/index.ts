export { APP_CONFIG, ConfigModule } from './config.module';
export { keepsDebugLines } from './config.types';
export { DEVELOPMENT_JWT_SECRET, loadConfig, loadConfigFromEnvironment, type ConfigResult, type Env } from './config.loader';
export type {
  AppConfig,
  ClusterConfig,
  CorsPolicy,
  HistoryConfig,
  JwtAlgorithm,
  JwtConfig,
  LimitsConfig,
  LogLevel,
  OutageConfig,
  OutboxConfig,
  PresenceConfig,
  ProcessConfig,
  PrintingConfig,
  RedisConfig,
  RedisTarget,
  WebhooksConfig,
} from './config.types';
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event-types';
