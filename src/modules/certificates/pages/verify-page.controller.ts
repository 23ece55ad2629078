import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import { Public } from '../../../common/auth/decorators';
import { CertificatesService, PublicVerification } from '../certificates.service';
import { templatesRoot } from '../render/certificate-template';

type PageState = 'valid' | 'revoked' | 'pending' | 'invalid' | 'not_found';

const STATE_TEXT: Record<PageState, { heading: string; detail: string }> = {
  valid: { heading: '证书有效', detail: '该证书由本系统签发，签名验证通过。' },
  revoked: { heading: '证书已撤销', detail: '该证书对应的荣誉已被撤销，证书不再有效。' },
  pending: { heading: '证书尚未生成', detail: '该证书正在制作中，请稍后再查询。' },
  invalid: { heading: '证书无效', detail: '该证书的签名无法验证，请联系发证单位。' },
  not_found: { heading: '未找到证书', detail: '没有与该验证码对应的证书，请核对二维码或链接。' },
};

const STATUS_TEXT: Record<string, string> = { queued: '排队制作中', rendering: '制作中', ready: '已签发', failed: '制作失败', revoked: '已撤销' };

/** The public verification page the QR code points to: no login, no external assets, Simplified Chinese. */
@ApiExcludeController()
@Controller('verify')
export class VerifyPageController {
  private readonly page = Handlebars.create().compile(fs.readFileSync(path.join(templatesRoot(), 'certificates', 'pages', 'verify.hbs'), 'utf8'), { strict: false });

  constructor(private readonly certificates: CertificatesService) {}

  @Public()
  @Get(':code')
  async verify(@Param('code') code: string, @Res() res: FastifyReply): Promise<void> {
    const v = await this.certificates.verify(code);
    const state = stateOf(v);
    res.code(state === 'not_found' ? 404 : 200);
    res.header('Content-Type', 'text/html; charset=utf-8');
    res.header('Cache-Control', 'no-store');
    res.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    res.header('X-Robots-Tag', 'noindex');
    await res.send(
      this.page({
        state,
        ok: state === 'valid',
        ...STATE_TEXT[state],
        certificate: v && {
          serial: v.serial,
          recipient: v.recipient,
          award: v.award,
          competition: v.competition,
          issuer: v.issuer,
          issuedDate: chinaDay(v.issuedAt),
          status: STATUS_TEXT[v.status] ?? v.status,
          revokedDate: v.revokedAt ? chinaDay(v.revokedAt) : null,
          keyId: v.keyId,
        },
      }),
    );
  }
}

function stateOf(v: PublicVerification | undefined): PageState {
  if (!v) return 'not_found';
  if (v.revoked) return 'revoked';
  if (v.valid) return 'valid';
  return v.payload ? 'invalid' : 'pending';
}

function chinaDay(isoTime: string): string {
  const d = new Date(new Date(isoTime).getTime() + 8 * 3600_000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}
