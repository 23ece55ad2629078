import { Controller, Get, Module } from '@nestjs/common';
import { Writable } from 'node:stream';
import { Public } from '../../src/common/auth/decorators';
import { createTestApp, TestApp } from '../utils/create-test-app';

@Controller('probe')
class FailingController {
  @Public()
  @Get('bug')
  bug(): never {
    throw new TypeError('cannot read properties of undefined (secret internals)');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('unexpected errors', () => {
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await createTestApp({ extraModules: [FailingModule], logStream });
  });
  afterAll(async () => t?.dispose());

  it('answers a bare 500 without internals and logs the error with the request id', async () => {
    const res = await t.http().get('/probe/bug').set('x-request-id', 'req-abc-123');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'Internal server error' });
    expect(JSON.stringify(res.body)).not.toContain('secret internals');
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    const logged = lines.map((l) => JSON.parse(l) as { msg?: string; requestId?: string; err?: { message?: string } }).find((l) => l.msg === 'unexpected error');
    expect(logged?.requestId).toBe('req-abc-123');
    expect(logged?.err?.message).toContain('secret internals');
  });

  it('logs each request with its id and path, but not the health probes', async () => {
    const before = lines.length;
    await t.http().get('/health').expect(200);
    await t.http().get('/health?probe=1').expect(200);
    await t.http().get('/api/nothing-here').set('x-request-id', 'req-logged-404');
    await new Promise((r) => setTimeout(r, 50));
    const logged = lines.slice(before).map((l) => JSON.parse(l) as { req?: { id?: string; path?: string } });
    expect(logged.filter((l) => l.req?.path === '/health')).toEqual([]);
    expect(logged.find((l) => l.req?.path === '/api/nothing-here')?.req?.id).toBe('req-logged-404');
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await t.http().get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
  });
});
