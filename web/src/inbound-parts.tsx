import type { InboundMessage } from './api';

/** Only web links are made clickable: a part's URL comes from the provider, unchecked. */
function isWebLink(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * The media of an inbound MMS (its text parts are already its text): one link per part, named
 * by its content type. Nothing for a text.
 */
export function InboundMedia({ message }: { message: Pick<InboundMessage, 'channel' | 'parts'> }) {
  const media = (message.parts ?? []).flatMap((p) => ('url' in p ? [p] : []));
  if (message.channel !== 'mms') return null;
  return (
    <span className="inbound-media">
      <span className="badge">MMS</span>
      {media.map((p, i) =>
        isWebLink(p.url) ? (
          <a key={i} href={p.url} target="_blank" rel="noopener noreferrer nofollow">
            {p.contentType ?? 'media'}
          </a>
        ) : (
          <span key={i} title={p.url}>
            {p.contentType ?? 'media'}
          </span>
        ),
      )}
    </span>
  );
}
