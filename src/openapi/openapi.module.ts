import { Module } from '@nestjs/common';
import { OpenApiUiController } from './openapi-ui.controller';

/** The HTTP API's OpenAPI document (/docs-json, set up in bootstrap) and its Swagger UI (/docs). */
@Module({ controllers: [OpenApiUiController] })
export class OpenApiModule {}
