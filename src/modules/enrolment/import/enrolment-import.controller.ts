import { BadRequestException, CallHandler, Controller, ExecutionContext, Get, HttpCode, Injectable, Param, PayloadTooLargeException, Post, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../../common/auth/decorators';
import { DomainError } from '../../../common/errors/domain-error';
import { UuidParam } from '../../../common/validation';
import { EnrolmentImportService, MAX_IMPORT_BYTES, UploadedImportFile } from './enrolment-import.service';
import { XLSX_CONTENT_TYPE } from './import-template';

/** multer with its default memory storage (the file goes to the FileStore, not to a temp dir), one file, bounded. */
const UploadInterceptor = FileInterceptor('file', { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 12 } });

/** The upload, with a too-large file answered as 413 naming the limit and a misnamed field as 400 naming `file`. */
@Injectable()
export class ImportUploadInterceptor extends UploadInterceptor {
  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    try {
      return await super.intercept(ctx, next);
    } catch (e) {
      if (e instanceof PayloadTooLargeException) {
        throw new DomainError('too_large', 'FILE_TOO_LARGE', `file: larger than the limit of ${MAX_IMPORT_BYTES / 1024 / 1024} MB; split it into several files`);
      }
      // multer identifies a file sent under another field name only by its message.
      if (e instanceof BadRequestException && /^Unexpected (file )?field/.test(e.message)) {
        throw DomainError.invalid('VALIDATION_FAILED', ['file is required: send the CSV or XLSX file as the multipart field "file", and only one file']);
      }
      throw e;
    }
  }
}

@ApiTags('enrolment')
@ApiBearerAuth()
@Controller('api')
export class EnrolmentImportController {
  constructor(private readonly imports: EnrolmentImportService) {}

  /** 批量导入: CSV (UTF-8 or GBK) or XLSX → 202 `{jobId}`; progress and result at GET /api/jobs/:id. */
  @Post('competitions/:id/enrolments/import')
  @Roles('organizer')
  @HttpCode(202)
  @UseInterceptors(ImportUploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: 'CSV or XLSX, at most 20 MB' } } } })
  @ApiResponse({ status: 202, description: '`{jobId}`; the job result is `{total, imported, alreadyEnrolled, rejected:[{row, reasons}]}`' })
  start(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @UploadedFile() file?: UploadedImportFile) {
    return this.imports.start(user, id, file);
  }

  /** 报名导入模板 with the Chinese headers; ID number and phone columns formatted as text. */
  @Get('competitions/:id/enrolments/import-template.xlsx')
  @Roles('organizer')
  @ApiProduces(XLSX_CONTENT_TYPE)
  async template(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string): Promise<StreamableFile> {
    const data = await this.imports.template(user, id);
    const ascii = `enrolment-import-template-${id}.xlsx`;
    const chinese = encodeURIComponent(`报名导入模板-${id}.xlsx`);
    return new StreamableFile(data, { type: XLSX_CONTENT_TYPE, length: data.length, disposition: `attachment; filename="${ascii}"; filename*=UTF-8''${chinese}` });
  }
}
