import { avatarHue, initial } from '../lib/format';

export function Avatar({ nickname, size = 'md' }: { nickname: string; size?: 'sm' | 'md' }) {
  const hue = avatarHue(nickname);
  return (
    <span
      className={`avatar avatar-${size}`}
      style={{ background: `hsl(${hue} 60% 92%)`, color: `hsl(${hue} 55% 32%)` }}
      aria-hidden="true"
    >
      {initial(nickname)}
    </span>
  );
}
