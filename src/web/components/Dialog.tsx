import { type ReactNode, useEffect, useId, useRef } from 'react';
import { XIcon } from './icons.tsx';

/**
 * A modal dialog on the native `<dialog>` element: focus is trapped and Escape closes it without
 * any script of ours. Render it only while it is open.
 */
export function Dialog({
  title,
  description,
  icon,
  children,
  onClose,
  testId,
  tone = 'default',
}: {
  title: ReactNode;
  description?: ReactNode;
  icon?: ReactNode;
  children: ReactNode;
  onClose: () => void;
  testId?: string;
  tone?: 'default' | 'danger';
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  }, [onClose]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    const handleCancel = (event: Event) => {
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', handleCancel);
    return () => {
      dialog.removeEventListener('cancel', handleCancel);
      if (dialog.open) dialog.close();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${tone}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      data-testid={testId}
    >
      <div className="dialog-head">
        {icon ? <span className="dialog-icon">{icon}</span> : null}
        <div className="dialog-heading">
          <h2 className="dialog-title" id={titleId}>
            {title}
          </h2>
          {description ? (
            <p className="dialog-description" id={descriptionId}>
              {description}
            </p>
          ) : null}
        </div>
        <button type="button" className="icon-button dialog-close" onClick={onClose} aria-label="Close">
          <XIcon size={16} />
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
