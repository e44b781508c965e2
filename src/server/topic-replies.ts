/**
 * The replies to one subscribe or unsubscribe message, one frame each as the provider sends them:
 * an ack per topic taken, an `error` per topic refused, up to a point: a huge message of bad
 * topics must not turn into a flood of replies, nor echo its topics back whole.
 */
import { ackMessage, encodeEvents, status } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import { splitTopic } from '../protocol/symbols.js';
import { symbolProblem } from '../protocol/topics.js';

/** Refused topics of one message that get an error each; the rest get one between them. */
export const MAX_ERRORS_PER_MESSAGE = 100;

/** A topic as quoted back in an error: a huge one is cut. */
function shown(topic: string): string {
  return topic.length <= 100 ? topic : `${topic.slice(0, 100)}… (${topic.length} characters)`;
}

/**
 * What is wrong with a topic on a cluster whose streams have `carried` prefixes: the provider's
 * error text, or undefined when the topic is well formed.
 */
export function topicRefusal(
  cluster: Cluster,
  carried: ReadonlySet<string>,
  topic: string,
): string | undefined {
  const parts = splitTopic(topic);
  const problem = parts && symbolProblem(parts.symbol);
  if (parts !== undefined && carried.has(parts.prefix) && !problem) return undefined;
  const why = problem ? ` (the symbol ${problem})` : '';
  return `invalid topic for ${cluster}: ${shown(topic)}${why}`;
}

export class TopicReplies {
  readonly frames: string[] = [];
  private refused = 0;

  constructor(private readonly action: 'subscribe' | 'unsubscribe') {}

  ack(topic: string): void {
    this.frames.push(encodeEvents([status('success', ackMessage(this.action, topic))]));
  }

  refuse(text: string): void {
    if (++this.refused <= MAX_ERRORS_PER_MESSAGE) {
      this.frames.push(encodeEvents([status('error', text)]));
    }
  }

  /** Every frame, the count of refusals past the first hundred last. */
  done(): string[] {
    if (this.refused > MAX_ERRORS_PER_MESSAGE) {
      const more = this.refused - MAX_ERRORS_PER_MESSAGE;
      const text = `${more} more topics of this ${this.action} were refused (errors are given for the first ${MAX_ERRORS_PER_MESSAGE} only)`;
      this.frames.push(encodeEvents([status('error', text)]));
    }
    return this.frames;
  }
}
