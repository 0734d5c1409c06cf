import {
  ISSUE_CATEGORIES,
  ISSUE_COMPLEXITIES,
  ISSUE_EVALUATIONS,
  type IssueCategory,
  type IssueComplexity,
  type IssueEvaluation,
} from '../../../geo/domain/issue';
import type { StringKey } from '../../../geo/i18n/strings';

type T = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The API types these as text; a value this build does not know is shown as sent rather than dropped. */
const known = <V extends string>(values: readonly V[], v: string): v is V => (values as readonly string[]).includes(v);

export const categoryLabel = (t: T, c: string) => (known<IssueCategory>(ISSUE_CATEGORIES, c) ? t(`issueCategory_${c}`) : c);
export const complexityLabel = (t: T, c: string) => (known<IssueComplexity>(ISSUE_COMPLEXITIES, c) ? t(`complexity_${c}`) : c);
export const evaluationLabel = (t: T, e: string) => (known<IssueEvaluation>(ISSUE_EVALUATIONS, e) ? t(`evaluation_${e}`) : e);
