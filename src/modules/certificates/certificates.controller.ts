import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { UuidParam } from '../../common/validation';
import { CertificatesService } from './certificates.service';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  @Get('awards/:id/certificate.pdf')
  @ApiProduces('application/pdf')
  @ApiOperation({ summary: 'The certificate PDF of an award: its recipient and organizers of the competition; 409 until it is ready' })
  async pdf(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Res() res: FastifyReply): Promise<void> {
    const { data, serial, sha256 } = await this.certificates.pdf(user, id);
    res.header('Content-Type', 'application/pdf');
    res.header('Content-Disposition', `attachment; filename="${serial}.pdf"`);
    res.header('Cache-Control', 'private, no-store');
    if (sha256) res.header('ETag', `"${sha256}"`);
    await res.send(data);
  }

  @Post('certificates/:id/retry')
  @Roles('organizer')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a failed certificate again (organizers of its competition); 409 unless it failed' })
  retry(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.certificates.retry(user, id);
  }

  @Get('competitions/:id/certificates/progress')
  @ApiOperation({ summary: 'Certificates of a competition by status: {total, queued, rendering, ready, failed, revoked}' })
  progress(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.certificates.progress(user, id);
  }
}

@ApiTags('certificates')
@Controller('api/public')
export class PublicCertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  @Public()
  @Get('certificates/:code')
  @ApiOperation({ summary: 'Verify a certificate by the code of its QR code: {valid, revoked, status, serial, recipient (masked), award, competition, issuer, issuedAt, payload, signature}' })
  async verify(@Param('code') code: string) {
    const v = await this.certificates.verify(code);
    if (!v) throw DomainError.notFound('certificate', 'CERTIFICATE_NOT_FOUND');
    return v;
  }

  @Public()
  @Get('keys')
  @ApiOperation({ summary: 'The Ed25519 public keys certificates are signed with (PEM and JWK, with key ids)' })
  keys() {
    return this.certificates.publicKeys();
  }
}
