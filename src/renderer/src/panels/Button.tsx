/** A button that, when disabled, says why (tooltip + accessible description): no silent dead controls. */
import type { ButtonHTMLAttributes } from 'react';

interface Props extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** null/undefined = enabled; a sentence = disabled, and this is why */
  disabledReason?: string | null;
}

export function Button({ disabledReason, title, children, ...rest }: Props) {
  const disabled = Boolean(disabledReason);
  return (
    <button
      {...rest}
      disabled={disabled}
      title={disabled ? disabledReason! : title}
      aria-description={disabled ? disabledReason! : undefined}
      data-disabled-reason={disabled ? disabledReason! : undefined}
    >
      {children}
    </button>
  );
}
