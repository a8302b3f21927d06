# Build the MSI from the PyInstaller bundle with WiX 3 (heat, candle, light).
# Windows runner only; the same source is syntax-checked on Linux by check-wxs.sh.
#
#   ./packaging/windows/build-msi.ps1 [-Bundle dist\newsdesk] [-Out dist]
#
# WiX 3.14 is preinstalled on GitHub's windows-2022 image (WIX points at it);
# elsewhere: choco install wixtoolset --version 3.14.1
param(
    [string]$Bundle = "dist\newsdesk",
    [string]$Out = "dist"
)
$ErrorActionPreference = "Stop"
$Repo = Resolve-Path (Join-Path $PSScriptRoot "..\..")
$Version = (Select-String -Path (Join-Path $Repo "desktop\__init__.py") -Pattern '^__version__ = "(.*)"').Matches[0].Groups[1].Value
if (-not $env:WIX) {
    choco install wixtoolset --version 3.14.1 -y --no-progress
    $env:WIX = "C:\Program Files (x86)\WiX Toolset v3.14\"
}
$Bin = Join-Path $env:WIX "bin"
$Work = Join-Path $Repo "build\wix"
New-Item -ItemType Directory -Force -Path $Work, $Out | Out-Null
$BundleFull = (Resolve-Path $Bundle).Path

& "$Bin\heat.exe" dir $BundleFull -nologo -cg BundleFiles -dr INSTALLDIR -gg -sfrag -srd -sreg `
    -var var.SourceDir -out "$Work\bundle-files.wxs"
if ($LASTEXITCODE) { throw "heat failed" }
& "$Bin\candle.exe" -nologo -arch x64 "-dVersion=$Version" "-dSourceDir=$BundleFull" `
    "-dIconFile=$Repo\packaging\icons\newsdesk.ico" -out "$Work\" `
    "$Repo\packaging\windows\newsdesk.wxs" "$Work\bundle-files.wxs"
if ($LASTEXITCODE) { throw "candle failed" }
$Msi = Join-Path $Out "Newsdesk-$Version-x64.msi"
& "$Bin\light.exe" -nologo -out $Msi "$Work\newsdesk.wixobj" "$Work\bundle-files.wixobj"
if ($LASTEXITCODE) { throw "light failed" }
Write-Host "build-msi: $Msi"
