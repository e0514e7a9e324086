import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards, UsePipes } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '../auth/claims';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { httpValidationPipe } from '../common/http-validation.pipe';
import { CreatePrintJobDto } from './dto/create-print-job.dto';
import { CompanyQueryDto, JobParamsDto } from './dto/job-ref.dto';
import { viewOf, type JobStatus, type PrintJobView } from './print-job.model';
import { PrintJobsService } from './print-jobs.service';

/** Print jobs for backend services (role `service`). */
@Controller('v1/print-jobs')
@UseGuards(HttpAuthGuard)
@RequireRoles('service')
@UsePipes(httpValidationPipe())
export class PrintJobsController {
  constructor(private readonly jobs: PrintJobsService) {}

  /** 202 `{ jobId, status: 'queued' }` for a new job; 200 with the existing job for a known jobId. */
  @Post()
  @HttpCode(202)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() request: CreatePrintJobDto,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<{ jobId: string; status: JobStatus } | PrintJobView> {
    const { created, job } = await this.jobs.create(principal, request);
    if (created) return { jobId: job.jobId, status: job.status };
    response.status(200);
    return viewOf(job);
  }

  @Get(':jobId')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: JobParamsDto,
    @Query() query: CompanyQueryDto,
  ): Promise<PrintJobView> {
    return viewOf(await this.jobs.get(principal, params.jobId, query.companyId));
  }

  /** Cancels a job no agent has acknowledged yet; 409 PRINT_JOB_CONFLICT afterwards. */
  @Delete(':jobId')
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param() params: JobParamsDto,
    @Query() query: CompanyQueryDto,
  ): Promise<PrintJobView> {
    return viewOf(await this.jobs.cancel(principal, params.jobId, query.companyId));
  }
}
