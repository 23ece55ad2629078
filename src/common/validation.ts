import { BadRequestException, ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    // Array items read as scoring.sections[0].key, like the messages of the rule checks.
    const field = /^\d+$/.test(e.property) ? `${parent}[${e.property}]` : parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? Object.values(e.constraints).map((m) => (m.startsWith(field) ? m : `${field}: ${m}`)) : [];
    return own.concat(flatten(e.children ?? [], field));
  });
}

/** Whitelisted, typed DTOs: unknown properties and wrong types answer 400 naming each field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new BadRequestException({ code: 'VALIDATION_FAILED', message: flatten(errors) }),
  });
}

/** `@Param('id', UuidParam)`: a malformed id answers 400 naming the parameter. */
export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException({ code: 'VALIDATION_FAILED', message: ['id must be a UUID'] }),
});

/** Trims a string field before validation, so that a blank name fails its length check instead of being stored empty. */
export const Trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
