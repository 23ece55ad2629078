import { Controller, Get, HttpCode, Param, Post, Req, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../../common/auth/decorators';
import { DomainError } from '../../../common/errors/domain-error';
import { UuidParam } from '../../../common/validation';
import { EnrolmentImportService, MAX_IMPORT_BYTES, UploadedImportFile } from './enrolment-import.service';
import { XLSX_CONTENT_TYPE } from './import-template';

const ONE_FILE = 'file is required: send the CSV or XLSX file as the multipart field "file", and only one file';

/**
 * The upload, read by the route after its guards ran (a refused caller's file is never read), into
 * memory (it goes to the FileStore, not to a temp dir), bounded: one file under the field `file`, at most
 * MAX_IMPORT_BYTES (413 naming the limit), a few fields beside it. Anything else the body holds is the
 * client's mistake: 400, never 500. No multipart body at all is no file.
 */
export async function readImportUpload(req: FastifyRequest): Promise<UploadedImportFile | undefined> {
  if (!req.isMultipart()) return undefined;
  let file: UploadedImportFile | undefined;
  let misnamed = false;
  try {
    for await (const part of req.parts({ limits: { fileSize: MAX_IMPORT_BYTES, files: 2, fields: 10, parts: 12 } })) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== 'file' || file) {
        misnamed = true;
        part.file.resume();
        continue;
      }
      const buffer = await part.toBuffer();
      file = { originalname: part.filename, buffer, size: buffer.length };
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new DomainError('too_large', 'FILE_TOO_LARGE', `file: larger than the limit of ${MAX_IMPORT_BYTES / 1024 / 1024} MB; split it into several files`);
    }
    if (code === 'FST_FILES_LIMIT') throw DomainError.invalid('VALIDATION_FAILED', [ONE_FILE]);
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw DomainError.invalid('VALIDATION_FAILED', ['the form has too many fields: send only the multipart field "file"']);
    throw DomainError.invalid('MALFORMED_BODY', 'the multipart body could not be read; send the file as multipart/form-data under the field "file"');
  }
  if (misnamed) throw DomainError.invalid('VALIDATION_FAILED', [ONE_FILE]);
  return file;
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
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: 'CSV or XLSX, at most 20 MB' } } } })
  @ApiResponse({ status: 202, description: '`{jobId}`; the job result is `{total, imported, alreadyEnrolled, rejected:[{row, reasons}]}`' })
  async start(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Req() req: FastifyRequest) {
    return this.imports.start(user, id, await readImportUpload(req));
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
