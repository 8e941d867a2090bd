// The one stylesheet, embedded in the program (it travels inside the compiled binary) and served
// under a name that changes with its content, so browsers may cache it for good.
import icon from "../../../views/icon.svg" with { type: "text" };
import stylesheet from "../../../views/style.css" with { type: "text" };

export const stylesheetText: string = stylesheet;
export const stylesheetPath = `/assets/style-${new Bun.CryptoHasher("sha256").update(stylesheet).digest("hex").slice(0, 12)}.css`;

export const iconText: string = icon;
export const iconPath = "/assets/icon.svg";
