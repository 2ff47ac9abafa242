export const communityLocales = ["en", "zh-Hant"] as const;
export type CommunityLocale = (typeof communityLocales)[number];

export const asCommunityLocale = (value: string): CommunityLocale =>
  (communityLocales as readonly string[]).includes(value) ? (value as CommunityLocale) : "en";
