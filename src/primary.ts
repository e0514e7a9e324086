/**
 * The sticky cluster's entry point: `node dist/primary.js`, the path PM2's ecosystem file, the
 * Dockerfile and the docs name. The primary itself (worker pool, session gate) lives in primary/.
 */
import './primary/main';
