import QRCode from 'qrcode';
import { buildPayload, certificateView, CertificateFacts } from './certificate-payload';
import { extractProof, renderCertificatePdf } from './certificate-pdf';
import { templateFor } from './certificate-template';
import { defaultFontSpecs, FontChain, MissingGlyphError } from './font-chain';
import { CertificateSigner, verifySignature } from './signing';

const signer = new CertificateSigner(Buffer.alloc(32, 3));
const fonts = new FontChain(defaultFontSpecs([]));

const facts = (name: string): CertificateFacts => ({
  certificateId: '00000000-0000-4000-8000-000000000001',
  serial: 'QZ-2026-000123',
  verifyUrl: 'http://localhost:3000/verify/abcdefghijklmnop',
  award: { id: 'a', type: 'may_day_medal', level: 'city', rank: 1, total: 9550, issuedAt: new Date('2026-11-28T02:00:00Z') },
  recipient: { name, employer: '国网衢州供电公司' },
  competition: { id: 'k', title: '2026年衢州市电工职业技能竞赛', level: 'city' },
  issuer: { id: 'o', name: '衢州市总工会' },
});

async function render(name: string, title?: string) {
  const base = facts(name);
  const f = title ? { ...base, competition: { ...base.competition, title } } : base;
  const payload = buildPayload(f, signer.info.kid);
  const pdf = await renderCertificatePdf({
    lines: templateFor(f.award.type).render(certificateView(f)),
    fonts,
    qr: QRCode.create(f.verifyUrl, { errorCorrectionLevel: 'M' }).modules,
    proof: { payload, signature: signer.sign(payload), alg: 'EdDSA', kid: signer.info.kid },
    title: 't',
    author: f.issuer.name,
    issuedAt: f.award.issuedAt,
  });
  return { pdf, payload };
}

describe('renderCertificatePdf', () => {
  it('produces a PDF carrying a proof that verifies, and the same bytes for the same certificate', async () => {
    const a = await render('李明');
    expect(a.pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const proof = extractProof(a.pdf)!;
    expect(proof.payload).toEqual(a.payload);
    expect(verifySignature(proof.payload, proof.signature, signer.publicKey)).toBe(true);
    expect((await render('李明')).pdf.equals(a.pdf)).toBe(true);
  });

  it('renders the same bytes again after other certificates were measured (widths cached across documents)', async () => {
    const long = '2026年衢州市电工职业技能竞赛（第二届）暨浙江省选拔赛，ABC-2026 组别：一个很长的标题，要换行才放得下，再长一点再长一点';
    const first = await render('欧阳明', long);
    await render('李明');
    await render('王小二', `${long}，还要更长`);
    expect((await render('欧阳明', long)).pdf.equals(first.pdf)).toBe(true);
  });

  it('fails with the missing character named instead of printing a blank box', async () => {
    await expect(render('王鿰')).rejects.toThrow(MissingGlyphError);
    await expect(render('王鿰')).rejects.toThrow('no font has 鿰 (U+9FF0)');
  });
});
