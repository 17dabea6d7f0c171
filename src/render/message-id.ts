// The campaign in a letter's Message-ID (see messageIdFor in email.ts), apart from the e-mail
// code: generate reads it from an earlier manifest before it loads anything that makes letters.

/** A campaign id as a Message-ID holds it. */
export function messageIdCampaign(campaignId: string): string {
  return campaignId.replace(/[^A-Za-z0-9.-]/g, '-');
}

/** The campaign id a Message-ID of messageIdFor holds (as messageIdCampaign writes it); undefined for another. */
export function campaignOfMessageId(messageId: string): string | undefined {
  return /^<[0-9a-f]{24}\.([A-Za-z0-9.-]+)@[^<>@\s]+>$/.exec(messageId)?.[1];
}
