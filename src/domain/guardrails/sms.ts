// SMS guardrails: what each SMS body costs. A body longer than one message is sent (and billed) as several
// segments; one character outside the GSM-7 alphabet switches the whole message to UCS-2, which fits 70
// characters instead of 160. Liquid tags are left out of the count, so a personalised body is "at least".
import type { CampaignSpec } from '../campaign.js';
import { SMS_LIMITS, smsLength } from '../sms.js';
import type { Finding } from './types.js';

const LIQUID = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

export function smsFindings(spec: CampaignSpec): Finding[] {
  const out: Finding[] = [];
  spec.sequence.forEach((step, i) => {
    if (step.channel !== 'sms') return;
    const bodies =
      step.variants && step.variants.length > 0
        ? step.variants.map((v, j) =>
            v.body !== undefined
              ? { text: v.body, path: `sequence.${i}.variants.${j}.body`, label: ` variant "${v.id}"` }
              : { text: step.body, path: `sequence.${i}.body`, label: ` variant "${v.id}"` },
          )
        : [{ text: step.body, path: `sequence.${i}.body`, label: '' }];
    for (const b of bodies) {
      if (b.text === undefined) continue;
      const literal = b.text.replace(LIQUID, '');
      const atLeast = literal !== b.text ? 'at least ' : '';
      const len = smsLength(literal);
      const where = `sms step "${step.id}"${b.label}`;
      if (len.encoding === 'UCS-2') {
        out.push({
          code: 'sms_ucs2',
          severity: 'warning',
          path: b.path,
          message: `${where} contains ${len.nonGsmCharacters.map((c) => `“${c}”`).join(' ')}, outside the GSM-7 alphabet: the whole message goes as UCS-2, ${SMS_LIMITS['UCS-2'].single} characters per SMS instead of ${SMS_LIMITS['GSM-7'].single}`,
        });
      }
      if (len.segments > 1) {
        const limits = SMS_LIMITS[len.encoding];
        out.push({
          code: 'sms_segments',
          severity: 'warning',
          path: b.path,
          message: `${where} is ${atLeast}${len.segments} segments (${len.characters} characters, ${len.encoding}; ${limits.single} fit in one, ${limits.part} per segment beyond): each contact costs ${atLeast}${len.segments} messages`,
        });
      }
    }
  });
  return out;
}
